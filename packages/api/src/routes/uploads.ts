/**
 * POST /v1/uploads: a presigned S3 PUT for one image, bound to its content type and length, so large
 * images go straight to S3 instead of through the API (Lambda bodies are capped at 6 MB). The same id
 * also takes its bytes through the API (PUT /v1/uploads/{uploadId}, upload-put.ts), for clients that
 * cannot reach the bucket.
 */
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { ACCEPTED_IMAGE_TYPES } from "../http/image-sniff.ts";
import { presignedUploadRoute, presignUpload } from "../http/presigned-upload.ts";
import { declareUpload, registerUploadPutRoute } from "./upload-put.ts";

function route(ctx: RouteContext) {
  return presignedUploadRoute(ctx, {
    path: "/v1/uploads",
    summary: "Get a presigned URL to upload an image",
    name: "Upload",
    what: "the image",
    contentTypes: ACCEPTED_IMAGE_TYPES,
    errors: [400, 401, 413, 415, 429],
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
    const tenant = tenantOf(c);
    const upload = await presignUpload(ctx, tenant, { contentType, contentLength });
    await declareUpload(ctx, tenant, upload.uploadId, {
      v: 1,
      contentType,
      contentLength,
      expiresAt: upload.expiresAt,
    });
    return c.json(upload, 201);
  });
  registerUploadPutRoute(app, ctx);
}
