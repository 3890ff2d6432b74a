/**
 * Pieces of OpenAPI route declarations (`createRoute`) that several routes share, written once: a
 * required JSON body, a JSON response, and the two whole declarations that recur (reading one
 * resource by id; accepting a JSON job request). Each builds the object the routes spelled out by
 * hand, so the generated document is unchanged, and the schemas' types flow through to `c.json`.
 */
import { createRoute, type z } from "@hono/zod-openapi";
import type { RouteContext } from "./context.ts";
import { errorResponses } from "./errors.ts";
import { limitBody } from "./limits.ts";
import { IdParamSchema } from "./schemas.ts";

/**
 * A required `application/json` request body.
 *
 * @example
 * createRoute({ method: "post", path: "/v1/tasks", request: { body: jsonBody(DefineTaskSchema) }, ... });
 */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return { required: true, content: { "application/json": { schema } } };
}

/**
 * A response answered as `application/json`.
 *
 * @example
 * responses: { 200: jsonResponse("the job", JobViewSchema), ...errorResponses(400, 404) }
 */
export function jsonResponse<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: { "application/json": { schema } } };
}

/**
 * `GET <path>` of one resource of the caller's by its `{id}`: 200 with `schema`, else 400 (a bad
 * id), 401, 404 (unknown, or another tenant's) or 429.
 *
 * @example
 * const route = getByIdRoute({ path: "/v1/jobs/{id}", summary: "Job status", description: "the job", schema: JobViewSchema });
 */
export function getByIdRoute<P extends string, S extends z.ZodType>(spec: {
  path: P;
  summary: string;
  description: string;
  schema: S;
}) {
  return createRoute({
    method: "get",
    path: spec.path,
    summary: spec.summary,
    request: { params: IdParamSchema },
    responses: {
      200: jsonResponse(spec.description, spec.schema),
      ...errorResponses(400, 401, 404, 429),
    },
  });
}

/**
 * `POST <path>` of a JSON job request (body within `maxJsonBytes`), answered 202 with `accepted`;
 * it can also be refused for the quota (402), a missing dataset or upload (404) or a queue outage
 * (503).
 *
 * @example
 * acceptJsonRoute(ctx, { path: "/v1/batches", summary: "...", body: BatchRequestSchema, description: "batch accepted", accepted: BatchAcceptedSchema });
 */
export function acceptJsonRoute<P extends string, B extends z.ZodType, A extends z.ZodType>(
  ctx: RouteContext,
  spec: { path: P; summary: string; body: B; description: string; accepted: A },
) {
  return createRoute({
    method: "post",
    path: spec.path,
    summary: spec.summary,
    middleware: [limitBody(ctx.config.maxJsonBytes, "the request body")] as const,
    request: { body: jsonBody(spec.body) },
    responses: {
      202: jsonResponse(spec.description, spec.accepted),
      ...errorResponses(400, 401, 402, 404, 413, 415, 429, 503),
    },
  });
}
