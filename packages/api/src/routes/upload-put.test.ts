import { inputKey } from "@alignsam/core/light";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { makeImage, SVG_BYTES } from "../testing/images.ts";
import { putTestKey } from "../testing/keys.ts";
import { uploadDeclarationKey } from "./upload-put.ts";

const MAX_IMAGE_BYTES = 100_000;
/** Small, so an ordinary test image is larger than the JSON body limit the other routes keep. */
const MAX_JSON_BYTES = 4096;

describe("direct upload through the API (PUT /v1/uploads/{uploadId})", () => {
  const t = useTestApp({ maxImageBytes: MAX_IMAGE_BYTES, maxJsonBytes: MAX_JSON_BYTES });

  async function create(contentType: string, contentLength: number, bearer?: string, on = t.app) {
    const res = await on.request("/v1/uploads", {
      method: "POST",
      headers: { "content-type": "application/json", ...(bearer ? { authorization: bearer } : {}) },
      body: JSON.stringify({ contentType, contentLength }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { uploadId: string }).uploadId;
  }

  function put(uploadId: string, body: Uint8Array, contentType: string, bearer?: string, on = t.app) {
    return on.request(`/v1/uploads/${uploadId}`, {
      method: "PUT",
      headers: { "content-type": contentType, ...(bearer ? { authorization: bearer } : {}) },
      body: body as Uint8Array<ArrayBuffer>,
    });
  }

  async function errorOf(res: Response) {
    return ((await res.json()) as { error: { code: string; message: string } }).error;
  }

  it("stores the image where the presigned PUT would, usable by /v1/segment and /v1/batches", async () => {
    const png = await makeImage("png", 200, 150);
    expect(png.length).toBeGreaterThan(MAX_JSON_BYTES); // the app-wide body backstop lets it through
    const uploadId = await create("image/png", png.length);
    const res = await put(uploadId, png, "image/png");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      uploadId,
      contentType: "image/png",
      contentLength: png.length,
      width: 200,
      height: 150,
    });
    const stored = await t.stack.s3.send(
      new GetObjectCommand({ Bucket: t.stack.config.bucket, Key: inputKey("public", uploadId) }),
    );
    expect(stored.ContentType).toBe("image/png");
    expect(new Uint8Array(await stored.Body!.transformToByteArray())).toEqual(png);

    const json = (body: unknown) => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect((await t.app.request("/v1/segment", json({ uploadId, task: "shadow" }))).status).toBe(202);
    const batch = await t.app.request(
      "/v1/batches",
      json({ images: [{ uploadId, fileName: "scene.png" }], task: "shadow" }),
    );
    expect(batch.status).toBe(202);
  });

  it("refuses bytes that are not an image with 415 and stores nothing", async () => {
    const uploadId = await create("image/png", SVG_BYTES.length);
    const res = await put(uploadId, SVG_BYTES, "image/png");
    expect(res.status).toBe(415);
    expect(await errorOf(res)).toMatchObject({
      code: "IMAGE_UNSUPPORTED_FORMAT",
      message: expect.stringContaining("SVG"),
    });
    expect(await t.stack.allKeys()).toEqual([uploadDeclarationKey("public", uploadId)]);
  });

  it("refuses a body past the image byte limit with 413 and stores nothing", async () => {
    const uploadId = await create("image/png", MAX_IMAGE_BYTES);
    const res = await put(uploadId, new Uint8Array(MAX_IMAGE_BYTES + 1), "image/png");
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(await t.stack.allKeys()).toEqual([uploadDeclarationKey("public", uploadId)]);
  });

  it("holds the bytes to the declared type and length, as the presigned URL does", async () => {
    const png = await makeImage("png");
    const jpeg = await makeImage("jpeg");
    const uploadId = await create("image/png", png.length);
    const wrongHeader = await put(uploadId, png, "image/jpeg");
    expect(wrongHeader.status).toBe(415);
    expect(await errorOf(wrongHeader)).toMatchObject({
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: expect.stringContaining("Content-Type: image/png"),
    });
    const wrongLength = await put(uploadId, png.subarray(1), "image/png");
    expect(wrongLength.status).toBe(400);
    expect((await errorOf(wrongLength)).message).toContain(`declared ${png.length} bytes`);
    const jpegId = await create("image/png", jpeg.length);
    const wrongBytes = await put(jpegId, jpeg, "image/png");
    expect(wrongBytes.status).toBe(415);
    expect((await errorOf(wrongBytes)).message).toContain("the bytes are image/jpeg");
    expect((await t.stack.allKeys()).filter((k) => !k.endsWith(".upload.json"))).toEqual([]);
  });

  it("answers 404 for an id never created, another tenant's id, or an expired one", async () => {
    const png = await makeImage("png");
    const never = await put("never-created", png, "image/png");
    expect(never.status).toBe(404);
    expect(await errorOf(never)).toMatchObject({
      code: "UPLOAD_NOT_FOUND",
      message: expect.stringContaining("POST /v1/uploads"),
    });

    const a = await putTestKey(t.stack, { tenant: "tenant-a" });
    const b = await putTestKey(t.stack, { tenant: "tenant-b" });
    const uploadId = await create("image/png", png.length, a.bearer);
    const foreign = await put(uploadId, png, "image/png", b.bearer);
    expect(foreign.status).toBe(404);
    expect(await errorOf(foreign)).toMatchObject({ code: "UPLOAD_NOT_FOUND" });

    const later = t.variant(
      {},
      { clock: () => new Date(Date.now() + (t.stack.config.presignExpirySeconds + 1) * 1000) },
    );
    const expired = await put(uploadId, png, "image/png", a.bearer, later);
    expect(expired.status).toBe(404);
    expect((await errorOf(expired)).message).toContain("expired");
    expect(
      (await t.stack.allKeys()).filter((k) => k.includes("/inputs/") && !k.endsWith(".upload.json")),
    ).toEqual([]);
    // The owner, in time, can.
    expect((await put(uploadId, png, "image/png", a.bearer)).status).toBe(200);
  });

  it("counts against the key's rate limit like every /v1 route", async () => {
    const limited = t.variant({ rateLimitPerMinute: 2 });
    const key = await putTestKey(t.stack, { tenant: "uploader" });
    const png = await makeImage("png");
    const uploadId = await create("image/png", png.length, key.bearer, limited);
    expect((await put(uploadId, png, "image/png", key.bearer, limited)).status).toBe(200);
    const refused = await put(uploadId, png, "image/png", key.bearer, limited);
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toMatchObject({ code: "RATE_LIMITED" });
  });
});
