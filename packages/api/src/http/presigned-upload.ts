/**
 * A presigned S3 PUT, as POST /v1/uploads (an image) and POST /v1/datasets/uploads (an archive)
 * hand one out: bound to its content type and exact length, expiring after
 * `presignExpirySeconds`, so large bodies go straight to S3 instead of through the API.
 */
import { inputKey } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { RouteContext } from "./context.ts";
import { errorResponses } from "./errors.ts";
import { limitBody } from "./limits.ts";
import { jsonBody, jsonResponse } from "./route-specs.ts";

/**
 * The POST route that asks for an upload URL: `{contentType, contentLength}` in, the presigned PUT
 * out (201). The OpenAPI components are named `<name>Request` and `<name>`.
 * @example presignedUploadRoute(ctx, { path: "/v1/uploads", name: "Upload", what: "image", ... })
 */
export function presignedUploadRoute<const T extends readonly [string, ...string[]]>(
  ctx: RouteContext,
  spec: {
    path: string;
    summary: string;
    name: string;
    /** What is uploaded, for the field's description ("the image"). */
    what: string;
    contentTypes: T;
    errors: ContentfulStatusCode[];
  },
) {
  const request = z
    .strictObject({
      contentType: z.enum(spec.contentTypes),
      contentLength: z
        .int()
        .positive()
        .openapi({ description: `exact size of ${spec.what} in bytes` }),
    })
    .openapi(`${spec.name}Request`);
  const response = z
    .object({
      uploadId: z.string(),
      method: z.literal("PUT"),
      url: z.url(),
      headers: z.record(z.string(), z.string()),
      expiresAt: z.iso.datetime(),
    })
    .openapi(spec.name);
  return createRoute({
    method: "post",
    path: spec.path,
    summary: spec.summary,
    middleware: [limitBody(ctx.config.maxJsonBytes, "the request body")] as const,
    request: { body: jsonBody(request) },
    responses: {
      201: jsonResponse("upload URL", response),
      ...errorResponses(...spec.errors),
    },
  });
}

/** A new upload id under the tenant's inputs and the presigned PUT for it (the body of the 201). */
export async function presignUpload(
  ctx: RouteContext,
  tenant: string,
  body: { contentType: string; contentLength: number },
) {
  const uploadId = ctx.newId();
  const url = await ctx.store.presignPut(inputKey(tenant, uploadId), body.contentType, body.contentLength);
  const expiresAt = new Date(ctx.clock().getTime() + ctx.config.presignExpirySeconds * 1000).toISOString();
  const headers = { "content-type": body.contentType, "content-length": String(body.contentLength) };
  return { uploadId, method: "PUT" as const, url, headers, expiresAt };
}
