/**
 * The bad-input suite: every malformed, hostile or oversized request is answered with the right 4xx
 * and a clear JSON error, and leaves nothing behind — the bucket is listed and the queue drained
 * after each one to prove it. The app runs in-process against the real fauxqs S3 + SQS emulator.
 */
import { crc32 } from "node:zlib";
import { signedHeaders } from "@alignsam/core/light";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { startTestStack, TEST_WEBHOOK_SECRET, type TestStack } from "./testing/emulator.ts";
import { makeImage, SVG_BYTES } from "./testing/images.ts";

const MAX_IMAGE_BYTES = 100_000;
const MAX_JSON_BYTES = 4096;
const MAX_PIXELS = 4_000_000;

/** A real PNG whose IHDR (with a valid CRC) declares width x height: a decompression bomb's header. */
async function pngDeclaring(width: number, height: number): Promise<Uint8Array<ArrayBuffer>> {
  const png = Buffer.from(await makeImage("png", 8, 8));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29); // CRC over "IHDR" + 13 data bytes
  return new Uint8Array(png);
}

/** A real JPEG whose frame header claims width x height. */
async function jpegDeclaring(width: number, height: number): Promise<Uint8Array<ArrayBuffer>> {
  const jpeg = Buffer.from(await makeImage("jpeg", 8, 8));
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return new Uint8Array(jpeg);
    }
  }
  throw new Error("no SOF marker in the generated JPEG");
}

const HTML_BYTES = new TextEncoder().encode(
  "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
);

function form(fields: Record<string, string>, image?: { bytes: Uint8Array<ArrayBuffer>; type?: string }) {
  const f = new FormData();
  if (image) f.set("image", new File([image.bytes], "upload.png", { type: image.type ?? "image/png" }));
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("bad input is refused with a clear 4xx and leaves nothing behind", () => {
  let stack: TestStack;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    stack = await startTestStack({
      maxImageBytes: MAX_IMAGE_BYTES,
      maxJsonBytes: MAX_JSON_BYTES,
      maxImagePixels: MAX_PIXELS,
      // Unauthenticated requests act as the public tenant, and no request here is rate limited:
      // the suite is about what bad input does, not about keys (piece 6a's suite covers those).
      anonymousTenant: "public",
      rateLimitPerMinute: 1_000_000,
    });
    app = createApp({ s3: stack.s3, sqs: stack.sqs, config: stack.config });
  });
  afterAll(() => stack?.stop());
  beforeEach(() => stack.server.reset());

  /** Assert the envelope, then that the bucket holds only `keep` and the queue is empty. */
  async function expectRefused(res: Response, status: number, code: string, keep: string[] = []) {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    expect(await stack.allKeys()).toEqual(keep);
    expect(await stack.drainMessages()).toEqual([]);
    return body.error;
  }

  const segment = (f: FormData) => app.request("/v1/segment", { method: "POST", body: f });

  describe("images", () => {
    it("refuses a zero-byte image with IMAGE_EMPTY", async () => {
      await expectRefused(
        await segment(form({ task: "shadow" }, { bytes: new Uint8Array(0) })),
        400,
        "IMAGE_EMPTY",
      );
    });

    it("refuses a truncated PNG with IMAGE_DECODE", async () => {
      const png = await makeImage("png", 64, 48);
      const err = await expectRefused(
        await segment(form({ task: "shadow" }, { bytes: png.slice(0, png.length - 20) })),
        400,
        "IMAGE_DECODE",
      );
      expect(err.message).toMatch(/truncated/);
    });

    it("refuses a truncated JPEG with IMAGE_DECODE", async () => {
      const jpeg = await makeImage("jpeg", 64, 48);
      await expectRefused(
        await segment(form({ task: "shadow" }, { bytes: jpeg.slice(0, Math.floor(jpeg.length / 2)) })),
        400,
        "IMAGE_DECODE",
      );
    });

    it("refuses a small PNG declaring 30000x30000 (decompression bomb) with IMAGE_TOO_LARGE, unread", async () => {
      const bomb = await pngDeclaring(30_000, 30_000);
      expect(bomb.length).toBeLessThan(1000);
      const err = await expectRefused(
        await segment(form({ task: "shadow" }, { bytes: bomb })),
        413,
        "IMAGE_TOO_LARGE",
      );
      expect(err.message).toContain("30000x30000");
    });

    it("refuses a JPEG whose frame claims 65000x65000 with IMAGE_TOO_LARGE", async () => {
      await expectRefused(
        await segment(form({ task: "shadow" }, { bytes: await jpegDeclaring(65_000, 65_000) })),
        413,
        "IMAGE_TOO_LARGE",
      );
    });

    it.each([
      ["SVG", SVG_BYTES],
      ["HTML", HTML_BYTES],
    ])(
      "refuses %s sent as image/png by its bytes, with IMAGE_UNSUPPORTED_FORMAT listing the types",
      async (what, bytes) => {
        const res = await segment(
          form({ task: "shadow" }, { bytes: new Uint8Array(bytes), type: "image/png" }),
        );
        const err = await expectRefused(res, 415, "IMAGE_UNSUPPORTED_FORMAT");
        expect(err.message).toContain(what);
        expect(err.message).toContain("image/jpeg, image/png, image/webp");
      },
    );

    it("refuses an image part past the byte limit with 413 before storing it", async () => {
      const big = new Uint8Array(MAX_IMAGE_BYTES + 200_000);
      big.set(await makeImage("png"));
      await expectRefused(await segment(form({ task: "shadow" }, { bytes: big })), 413, "PAYLOAD_TOO_LARGE");
    });

    it("refuses a streamed body of unknown length past the limit with 413", async () => {
      const chunk = new Uint8Array(16 * 1024).fill(0x61);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > MAX_JSON_BYTES * 4) controller.close();
          else {
            sent += chunk.length;
            controller.enqueue(chunk);
          }
        },
      });
      const res = await app.request("/v1/uploads", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit);
      await expectRefused(res, 413, "PAYLOAD_TOO_LARGE");
    });

    it("refuses an uploaded SVG by its bytes when segmenting by uploadId, writing nothing more", async () => {
      const key = "tenants/public/inputs/svg-upload";
      await stack.s3.send(
        new PutObjectCommand({
          Bucket: stack.config.bucket,
          Key: key,
          Body: SVG_BYTES,
          ContentType: "image/png",
        }),
      );
      const res = await app.request("/v1/segment", json({ uploadId: "svg-upload", task: "shadow" }));
      await expectRefused(res, 415, "IMAGE_UNSUPPORTED_FORMAT", [key]);
    });
  });

  describe("request bodies and fields", () => {
    it.each(["/v1/segment", "/v1/uploads", "/v1/evaluations"])("refuses invalid JSON on %s", async (path) => {
      await expectRefused(await app.request(path, json('{"task": "shadow",')), 400, "INVALID_JSON");
    });

    it("refuses wrong field types, naming each field", async () => {
      const err = await expectRefused(
        await app.request("/v1/uploads", json({ contentType: "image/png", contentLength: "12" })),
        400,
        "INVALID_REQUEST",
      );
      expect(err.message).toContain("contentLength");
      const seg = await expectRefused(
        await app.request("/v1/segment", json({ uploadId: "u1", task: "shadow", steps: "seven", greedy: 1 })),
        400,
        "INVALID_REQUEST",
      );
      expect(seg.message).toMatch(/steps.*greedy|greedy.*steps/s);
      const png = await makeImage("png");
      const formErr = await expectRefused(
        await segment(form({ task: "shadow", steps: "many" }, { bytes: png })),
        400,
        "INVALID_REQUEST",
      );
      expect(formErr.message).toContain("steps");
    });

    it("refuses an unknown field rather than ignoring it", async () => {
      await expectRefused(
        await app.request("/v1/uploads", json({ contentType: "image/png", contentLength: 10, bucket: "x" })),
        400,
        "INVALID_REQUEST",
      );
    });

    it("refuses a declared type that is not an accepted image type", async () => {
      const err = await expectRefused(
        await app.request("/v1/uploads", json({ contentType: "image/svg+xml", contentLength: 10 })),
        400,
        "INVALID_REQUEST",
      );
      expect(err.message).toContain("image/png");
    });

    it("refuses an unknown task with UNKNOWN_TASK listing the valid ones", async () => {
      const png = await makeImage("png");
      const res = await segment(form({ task: "astrology" }, { bytes: png }));
      const text = await res.clone().text();
      const err = await expectRefused(res, 400, "UNKNOWN_TASK");
      expect(text).toContain('"valid"');
      expect(err.message).toContain("shadow");
    });

    it("refuses a JSON body past the JSON limit with 413", async () => {
      const body = { contentType: "image/png", contentLength: 10, pad: "x".repeat(MAX_JSON_BYTES * 2) };
      await expectRefused(await app.request("/v1/uploads", json(body)), 413, "PAYLOAD_TOO_LARGE");
    });

    it("refuses a large body on any route, even one that takes none, with 413", async () => {
      const res = await app.request("/v1/tasks", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(MAX_JSON_BYTES * 3) },
        body: "x".repeat(MAX_JSON_BYTES * 3),
      });
      await expectRefused(res, 413, "PAYLOAD_TOO_LARGE");
    });

    it("refuses a body that is neither multipart nor JSON with UNSUPPORTED_MEDIA_TYPE", async () => {
      const res = await app.request("/v1/segment", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "task=shadow",
      });
      const err = await expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
      expect(err.message).toContain("multipart/form-data");
    });
  });

  describe("keys, ids and URLs", () => {
    it.each(["../../etc/passwd", "..", "a/b", "%2e%2e", ".hidden", "x".repeat(200)])(
      "refuses uploadId %s as a key segment",
      async (uploadId) => {
        await expectRefused(
          await app.request("/v1/segment", json({ uploadId, task: "shadow" })),
          400,
          "INVALID_REQUEST",
        );
      },
    );

    it("answers an upload id that was never uploaded with UPLOAD_NOT_FOUND", async () => {
      await expectRefused(
        await app.request("/v1/segment", json({ uploadId: "never-uploaded", task: "shadow" })),
        404,
        "UPLOAD_NOT_FOUND",
      );
    });

    it.each([
      "tenants/public/datasets/../../policies/",
      "tenants/public/datasets/a/../../../x/",
      "tenants/other-tenant/datasets/theirs/",
      "s3://another-bucket/tenants/public/datasets/x/",
      "/tenants/public/datasets/x/",
      "tenants/public/inputs/x/",
      "tenants/public/datasets/x/images/",
      "tenants/public/datasets/%2e%2e/",
      "tenants\\public\\datasets\\x\\",
    ])("refuses dataset %s outside the caller's datasets area", async (dataset) => {
      const err = await expectRefused(
        await app.request("/v1/evaluations", json({ task: "shadow", dataset })),
        400,
        "INVALID_ARGUMENT",
      );
      expect(err.message).toContain("tenants/public/datasets/<datasetId>/");
    });

    it.each(["never-submitted", "0b4e7c1e-0000-4000-8000-000000000000"])(
      "answers unknown job id %s with 404 NOT_FOUND",
      async (id) => {
        await expectRefused(await app.request(`/v1/jobs/${id}`), 404, "NOT_FOUND");
        await expectRefused(await app.request(`/v1/evaluations/${id}`), 404, "NOT_FOUND");
      },
    );

    it("refuses a job id that is not a key segment with 400", async () => {
      await expectRefused(await app.request("/v1/jobs/..%2F..%2Fpolicies"), 400, "INVALID_REQUEST");
    });

    it.each([
      "http://hooks.example.com/cb",
      "https://169.254.169.254/latest/meta-data/",
      "https://127.0.0.1:8080/cb",
      "https://[::ffff:10.0.0.1]/cb",
      "https://100.64.0.1/cb",
      "https://localhost/cb",
      "file:///etc/passwd",
    ])("refuses callbackUrl %s", async (callbackUrl) => {
      const png = await makeImage("png");
      const err = await expectRefused(
        await segment(form({ task: "shadow", callbackUrl }, { bytes: png })),
        400,
        "INVALID_REQUEST",
      );
      expect(err.message).toContain("callbackUrl");
    });
  });

  describe("webhook", () => {
    const body = JSON.stringify({ task: "shadow", dataset: "tenants/public/datasets/x/" });

    it("refuses a wrong signature with SIGNATURE_INVALID and a stale one with SIGNATURE_EXPIRED", async () => {
      const send = (headers: Record<string, string>) =>
        app.request("/v1/webhooks/retrain", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
        });
      await expectRefused(
        await send(signedHeaders("not-the-secret-0123456789", body)),
        401,
        "SIGNATURE_INVALID",
      );
      await expectRefused(
        await send(signedHeaders(TEST_WEBHOOK_SECRET, body, new Date(Date.now() - 3_600_000))),
        401,
        "SIGNATURE_EXPIRED",
      );
      await expectRefused(await send({}), 401, "SIGNATURE_MISSING");
    });
  });
});
