/**
 * PUT /v1/uploads/{uploadId}: the direct twin of the presigned PUT, for clients that cannot reach
 * the bucket (the playground: its page may only talk to the API's origin, and the local emulator
 * sends no CORS headers). POST /v1/uploads records what it presigned (type, length, expiry) beside
 * the input; this route takes the image bytes only for an id so recorded under the caller's tenant,
 * holds them to the same terms S3 would (declared type and exact length, the image byte limit), also
 * sniffs them, and stores them at the very key the presigned PUT writes, so the id works unchanged in
 * /v1/segment and /v1/batches. The body is one image, so it stays under Lambda's 6 MB cap only for
 * images that small; larger ones take the presigned URL.
 */
import { inputKey } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { ACCEPTED_IMAGE_TYPES, sniffImage } from "../http/image-sniff.ts";
import { limitBody } from "../http/limits.ts";
import { jsonResponse } from "../http/route-specs.ts";
import { pathParam } from "../http/schemas.ts";

/** What POST /v1/uploads promised the bucket would accept for an id. */
export const UploadDeclarationSchema = z.strictObject({
  v: z.literal(1),
  contentType: z.enum(ACCEPTED_IMAGE_TYPES),
  contentLength: z.int().positive(),
  expiresAt: z.iso.datetime(),
});
export type UploadDeclaration = z.infer<typeof UploadDeclarationSchema>;

/**
 * Beside the input it announces (`inputs/<uploadId>.upload.json`): under the tenant, so another
 * tenant's id is simply absent, and swept with the inputs by the input janitor.
 */
export function uploadDeclarationKey(tenant: string, uploadId: string): string {
  return `${inputKey(tenant, uploadId)}.upload.json`;
}

/** Record what an upload id may receive; called by POST /v1/uploads before it answers. */
export async function declareUpload(
  ctx: RouteContext,
  tenant: string,
  uploadId: string,
  declaration: UploadDeclaration,
): Promise<void> {
  await ctx.store.putJson(uploadDeclarationKey(tenant, uploadId), declaration);
}

const UploadedSchema = z
  .object({
    uploadId: z.string(),
    contentType: z.enum(ACCEPTED_IMAGE_TYPES),
    contentLength: z.int(),
    width: z.int(),
    height: z.int(),
  })
  .openapi("Uploaded");

const UploadIdParamSchema = z.object({
  uploadId: pathParam("uploadId", "3f1c9a52-6a43-4f3b-9b1e-2b7f0f0b1a77"),
});

const binary = { schema: z.string().openapi({ type: "string", format: "binary" }) };

function putRoute(ctx: RouteContext) {
  return createRoute({
    method: "put",
    path: "/v1/uploads/{uploadId}",
    summary: "Upload an image's bytes through the API (for clients that cannot reach the presigned URL)",
    middleware: [limitBody(ctx.config.maxImageBytes, "the image")] as const,
    request: {
      params: UploadIdParamSchema,
      body: {
        required: true,
        description: "the image as declared to POST /v1/uploads: that Content-Type, exactly that length",
        content: Object.fromEntries(ACCEPTED_IMAGE_TYPES.map((t) => [t, binary])),
      },
    },
    responses: {
      200: jsonResponse("stored", UploadedSchema),
      ...errorResponses(400, 401, 404, 413, 415, 429),
    },
  });
}

function notFound(uploadId: string, why: string): HttpError {
  return new HttpError(
    404,
    "UPLOAD_NOT_FOUND",
    `no upload "${uploadId}" ${why}; create one with POST /v1/uploads first`,
  );
}

export function registerUploadPutRoute(app: ApiApp, ctx: RouteContext): void {
  app.openapi(putRoute(ctx), async (c) => {
    const { uploadId } = c.req.valid("param");
    const tenant = tenantOf(c);
    const declared = await ctx.store.getJson(uploadDeclarationKey(tenant, uploadId), UploadDeclarationSchema);
    if (!declared) throw notFound(uploadId, "awaits bytes");
    if (Date.parse(declared.expiresAt) <= ctx.clock().getTime()) {
      throw notFound(uploadId, `awaits bytes (its upload expired at ${declared.expiresAt})`);
    }
    const sent = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (sent !== declared.contentType) {
      throw new HttpError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `upload "${uploadId}" was declared ${declared.contentType}; send the bytes with Content-Type: ${declared.contentType}${sent ? ` (got ${sent})` : ""}`,
        { expected: declared.contentType },
      );
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length !== declared.contentLength) {
      throw new HttpError(
        400,
        "INVALID_REQUEST",
        `upload "${uploadId}" was declared ${declared.contentLength} bytes but the body has ${bytes.length}; send exactly the declared bytes or create a new upload`,
        { expected: declared.contentLength, received: bytes.length },
      );
    }
    const image = sniffImage(bytes, { maxPixels: ctx.config.maxImagePixels });
    if (image.contentType !== declared.contentType) {
      throw new HttpError(
        415,
        "IMAGE_UNSUPPORTED_FORMAT",
        `the bytes are ${image.contentType} but upload "${uploadId}" was declared ${declared.contentType}; create an upload of the right type`,
        { expected: declared.contentType, received: image.contentType },
      );
    }
    await ctx.store.putBytes(inputKey(tenant, uploadId), bytes, image.contentType);
    return c.json(
      {
        uploadId,
        contentType: image.contentType,
        contentLength: bytes.length,
        width: image.width,
        height: image.height,
      },
      200,
    );
  });
}
