/**
 * POST /v1/uploads: a presigned S3 PUT for one image, bound to its content type and length, so large
 * images go straight to S3 instead of through the API (Lambda bodies are capped at 6 MB). The same id
 * also takes its bytes through the API (PUT /v1/uploads/{uploadId}, upload-put.ts), for clients that
 * cannot reach the bucket.
 */
import { inputKey } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { ACCEPTED_IMAGE_TYPES } from "../http/image-sniff.ts";
import { limitBody } from "../http/limits.ts";
import { declareUpload, registerUploadPutRoute } from "./upload-put.ts";

export const UploadRequestSchema = z
  .strictObject({
    contentType: z.enum(ACCEPTED_IMAGE_TYPES),
    contentLength: z.int().positive().openapi({ description: "exact size of the image in bytes" }),
  })
  .openapi("UploadRequest");

const UploadResponseSchema = z
  .object({
    uploadId: z.string(),
    method: z.literal("PUT"),
    url: z.url(),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
  })
  .openapi("Upload");

function route(ctx: RouteContext) {
  return createRoute({
    method: "post",
    path: "/v1/uploads",
    summary: "Get a presigned URL to upload an image",
    middleware: [limitBody(ctx.config.maxJsonBytes, "the request body")] as const,
    request: { body: { required: true, content: { "application/json": { schema: UploadRequestSchema } } } },
    responses: {
      201: { description: "upload URL", content: { "application/json": { schema: UploadResponseSchema } } },
      ...errorResponses(400, 401, 413, 415, 429),
    },
  });
}

export function registerUploadRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route(ctx), async (c) => {
    const { contentType, contentLength } = c.req.valid("json");
    if (contentLength > ctx.config.maxImageBytes) {
      throw new HttpError(
        413,
        "IMAGE_TOO_LARGE",
        `contentLength exceeds the ${ctx.config.maxImageBytes} bytes accepted`,
        {
          maxBytes: ctx.config.maxImageBytes,
        },
      );
    }
    const uploadId = ctx.newId();
    const tenant = tenantOf(c);
    const url = await ctx.store.presignPut(inputKey(tenant, uploadId), contentType, contentLength);
    const expiresAt = new Date(ctx.clock().getTime() + ctx.config.presignExpirySeconds * 1000).toISOString();
    await declareUpload(ctx, tenant, uploadId, { v: 1, contentType, contentLength, expiresAt });
    return c.json(
      {
        uploadId,
        method: "PUT" as const,
        url,
        headers: { "content-type": contentType, "content-length": String(contentLength) },
        expiresAt,
      },
      201,
    );
  });
  registerUploadPutRoute(app, ctx);
}
