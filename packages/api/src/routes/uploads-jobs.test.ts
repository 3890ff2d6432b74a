import { JobStatusSchema, jobResultKey, jobStatusKey } from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { makeImage, SVG_BYTES } from "../testing/images.ts";

describe("uploads and job status", () => {
  const t = useTestApp({ maxImageBytes: 100_000 });

  async function presign(contentType: string, contentLength: number) {
    return t.app.request("/v1/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contentType, contentLength }),
    });
  }

  it("presigns a PUT the client uploads to, then segments the upload by id", async () => {
    const jpeg = await makeImage("jpeg");
    const res = await presign("image/jpeg", jpeg.length);
    expect(res.status).toBe(201);
    const upload = (await res.json()) as { uploadId: string; url: string; headers: Record<string, string> };
    expect(upload.url).toContain(`tenants/public/inputs/${upload.uploadId}`);
    expect(upload.url).toContain("X-Amz-Signature=");
    // Bound to the declared type and length: S3 refuses a PUT whose headers differ.
    const signed = new URL(upload.url).searchParams.get("X-Amz-SignedHeaders")?.split(";");
    expect(signed).toEqual(expect.arrayContaining(["content-length", "content-type", "host"]));
    const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: jpeg });
    expect(put.status).toBe(200);

    const seg = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: upload.uploadId, task: "glass", steps: 5 }),
    });
    expect(seg.status).toBe(202);
    const [message] = (await t.stack.drainMessages()) as Array<{
      uploadId: string;
      options: { steps: number };
    }>;
    expect(message.uploadId).toBe(upload.uploadId);
    expect(message.options.steps).toBe(5);
  });

  it("presigns a PUT real S3 accepts: no checksum of an empty body, exact length and type signed", async () => {
    const res = await presign("image/png", 4321);
    const upload = (await res.json()) as { url: string; headers: Record<string, string> };
    const query = new URL(upload.url).searchParams;
    // The SDK's default flexible checksum put x-amz-checksum-crc32=AAAAAA== (CRC32 of no body) here.
    expect([...query.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(query.get("X-Amz-SignedHeaders")?.split(";").sort()).toEqual([
      "content-length",
      "content-type",
      "host",
    ]);
    expect(upload.headers).toEqual({ "content-type": "image/png", "content-length": "4321" });
  });

  it("refuses to segment an upload that is not an image (415) and writes no job", async () => {
    const res = await presign("image/png", SVG_BYTES.length);
    const upload = (await res.json()) as { uploadId: string; url: string; headers: Record<string, string> };
    await fetch(upload.url, { method: "PUT", headers: upload.headers, body: SVG_BYTES });
    const seg = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: upload.uploadId, task: "glass" }),
    });
    expect(seg.status).toBe(415);
    // The input and the declaration POST /v1/uploads wrote beside it (upload-put.ts); no job.
    expect(await t.stack.allKeys()).toEqual([
      `tenants/public/inputs/${upload.uploadId}`,
      `tenants/public/inputs/${upload.uploadId}.upload.json`,
    ]);
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("refuses an upload over the size limit (413) or of another type (400)", async () => {
    const big = await presign("image/png", 100_001);
    expect(big.status).toBe(413);
    const gif = await presign("image/gif", 10);
    expect(gif.status).toBe(400);
    const body = (await gif.json()) as { error: { message: string } };
    expect(body.error.message).toContain("contentType");
  });

  it("answers 404 for an unknown job and 400 for an id that could climb out of its prefix", async () => {
    const missing = await t.app.request("/v1/jobs/does-not-exist");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const traversal = await t.app.request("/v1/jobs/..%2F..%2Fpolicies");
    expect(traversal.status).toBe(400);
  });

  it("lists a presigned GET for every result present, which downloads the stored bytes", async () => {
    const seg = await t.app.request("/v1/segment", {
      method: "POST",
      body: (() => {
        const f = new FormData();
        f.set("task", "shadow");
        return f;
      })(),
    });
    expect(seg.status).toBe(400); // no image part

    const f = new FormData();
    f.set("image", new File([await makeImage("png")], "a.png"));
    f.set("task", "shadow");
    const accepted = (await (await t.app.request("/v1/segment", { method: "POST", body: f })).json()) as {
      jobId: string;
    };
    const { jobId } = accepted;
    // What a worker does: results first, then the terminal status naming them.
    const mask = await makeImage("png", 8, 8);
    const maskKey = jobResultKey("public", jobId, "mask.png");
    const metricsKey = jobResultKey("public", jobId, "metrics.json");
    await t.stack.put(maskKey, mask);
    await t.stack.put(metricsKey, '{"iou":0.5}');
    const statusRes = await t.app.request(`/v1/jobs/${jobId}`);
    const queued = JobStatusSchema.parse({ ...(await statusRes.json()), v: 1, resultKeys: {} });
    const done = {
      ...queued,
      state: "succeeded",
      progress: { done: 1, total: 1 },
      resultKeys: { "mask.png": maskKey },
      summary: { steps: 15 },
      callbackUrl: "https://hooks.example/cb",
      // What the worker records after sending the completion callback.
      callback: { delivered: false, attempts: 3, lastStatus: 503, at: "2026-01-02T03:04:05.000Z" },
    };
    await t.stack.put(jobStatusKey("public", jobId), JSON.stringify(done));

    const res = await t.app.request(`/v1/jobs/${jobId}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as {
      state: string;
      summary: unknown;
      callback: unknown;
      results: Record<string, { url: string }>;
    };
    expect(view.state).toBe("succeeded");
    expect(view.summary).toEqual({ steps: 15 });
    expect(view.callback).toEqual({
      delivered: false,
      attempts: 3,
      lastStatus: 503,
      at: "2026-01-02T03:04:05.000Z",
    });
    expect(Object.keys(view.results)).toEqual(["mask.png", "metrics.json"]);
    const got = new Uint8Array(await (await fetch(view.results["mask.png"].url)).arrayBuffer());
    expect(Buffer.from(got).equals(Buffer.from(mask))).toBe(true);
    expect(await (await fetch(view.results["metrics.json"].url)).text()).toBe('{"iou":0.5}');
  });
});
