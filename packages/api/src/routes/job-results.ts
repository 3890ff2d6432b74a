/**
 * GET /v1/jobs/{id}/results/{name}: one result object of a job, through the API. The presigned
 * URLs of GET /v1/jobs/{id} are the fast path; this one is for browsers, which can only read a
 * cross-origin object (to draw a mask on a canvas, replay steps.json) when the bucket answers CORS,
 * which S3 needs configuring for and emulators may not do at all. Same origin, same tenant rules.
 */
import { jobPrefix, jobStatusKey } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { pathParam } from "../http/schemas.ts";

/** Largest result served through the API (results are masks and small JSON documents). */
export const MAX_PROXIED_RESULT_BYTES = 64 * 1024 * 1024;

const ParamsSchema = z.object({ id: pathParam("id"), name: pathParam("name", "mask.png") });

const route = createRoute({
  method: "get",
  path: "/v1/jobs/{id}/results/{name}",
  summary: "One result of a job, served by the API (same origin)",
  request: { params: ParamsSchema },
  responses: {
    200: {
      description: "the result's bytes, with the content type it was stored with",
      content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorResponses(400, 401, 404, 413, 429),
  },
});

export function registerJobResultRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, async (c) => {
    const { id, name } = c.req.valid("param");
    const tenant = tenantOf(c);
    let got: Awaited<ReturnType<RouteContext["store"]["getBytes"]>>;
    try {
      got = await ctx.store.getBytes(`${jobPrefix(tenant, id)}results/${name}`, MAX_PROXIED_RESULT_BYTES);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new HttpError(
        413,
        "PAYLOAD_TOO_LARGE",
        `result "${name}" is too large to serve here; use its presigned URL`,
      );
    }
    if (!got) {
      const known = await ctx.store.exists(jobStatusKey(tenant, id));
      throw new HttpError(
        404,
        "NOT_FOUND",
        known
          ? `job "${id}" has no result "${name}" (yet); GET /v1/jobs/${id} lists the results it has`
          : `no job "${id}"`,
      );
    }
    const body = got.bytes.buffer.slice(got.bytes.byteOffset, got.bytes.byteOffset + got.bytes.byteLength);
    return c.body(body as ArrayBuffer, 200, {
      "Content-Type": got.contentType ?? "application/octet-stream",
      "Cache-Control": "private, max-age=300",
      "X-Content-Type-Options": "nosniff",
      "Content-Disposition": `inline; filename="${name}"`,
    });
  });
}
