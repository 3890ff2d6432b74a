import { defaultTaskRegistry, SegmentMessageSchema, STEPS_RANGE } from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { PUBLIC_DNS } from "../testing/dns.ts";
import { makeImage, SVG_BYTES } from "../testing/images.ts";

const MAX_IMAGE_BYTES = 200_000;

describe("POST /v1/segment", () => {
  const t = useTestApp(
    { maxImageBytes: MAX_IMAGE_BYTES },
    { clock: () => new Date("2026-01-02T03:04:05Z"), resolveHost: PUBLIC_DNS },
  );

  function form(
    fields: Record<string, string>,
    image?: { bytes: Uint8Array<ArrayBuffer>; name?: string; type?: string },
  ) {
    const f = new FormData();
    if (image)
      f.set("image", new File([image.bytes], image.name ?? "x.png", { type: image.type ?? "image/png" }));
    for (const [k, v] of Object.entries(fields)) f.set(k, v);
    return f;
  }

  async function errorOf(res: Response) {
    const body = (await res.json()) as {
      error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
    };
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    return body.error;
  }

  it("accepts a multipart PNG: stores it, writes a queued status and enqueues one segment message", async () => {
    const png = await makeImage("png");
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      body: form(
        { task: "shadow", steps: "7", greedy: "false", seed: "3", callbackUrl: "https://hooks.example/x" },
        { bytes: png },
      ),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; statusUrl: string; state: string };
    expect(body.state).toBe("queued");
    expect(body.statusUrl).toBe(`http://api.test/v1/jobs/${body.jobId}`);
    expect(res.headers.get("location")).toBe(body.statusUrl);

    const messages = (await t.stack.drainMessages()).map((m) => SegmentMessageSchema.parse(m));
    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m).toMatchObject({
      jobId: body.jobId,
      task: "shadow",
      callbackUrl: "https://hooks.example/x",
      options: { steps: 7, greedy: false, seed: 3 },
    });
    const keys = await t.stack.allKeys();
    expect(keys).toEqual(
      [`tenants/public/inputs/${m.uploadId}`, `tenants/public/jobs/${body.jobId}/status.json`].sort(),
    );

    const status = await t.app.request(`/v1/jobs/${body.jobId}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      jobId: body.jobId,
      kind: "segment",
      state: "queued",
      progress: { done: 0, total: 1 },
      createdAt: "2026-01-02T03:04:05.000Z",
      results: {},
    });
  });

  it.each(["jpeg", "webp"] as const)(
    "accepts a %s whatever file name and type the client claims",
    async (format) => {
      const bytes = await makeImage(format);
      const res = await t.app.request("/v1/segment", {
        method: "POST",
        body: form({ task: "blur" }, { bytes, name: "x.bin", type: "application/octet-stream" }),
      });
      expect(res.status).toBe(202);
    },
  );

  it("refuses an unknown task with 400 listing the valid tasks, and writes nothing", async () => {
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "nope" }, { bytes: await makeImage("png") }),
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("UNKNOWN_TASK");
    expect(error.details?.valid).toEqual(defaultTaskRegistry.names());
    expect(error.message).toContain("shadow");
    expect(await t.stack.allKeys()).toEqual([]);
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("refuses an SVG with 415 and a truncated JPEG with 400, writing nothing", async () => {
    const svg = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow" }, { bytes: SVG_BYTES, type: "image/png" }),
    });
    expect(svg.status).toBe(415);
    expect((await errorOf(svg)).code).toBe("IMAGE_UNSUPPORTED_FORMAT");

    const jpeg = await makeImage("jpeg", 64, 64);
    const cut = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow" }, { bytes: jpeg.slice(0, jpeg.length - 40) }),
    });
    expect(cut.status).toBe(400);
    expect((await errorOf(cut)).code).toBe("IMAGE_DECODE");

    const text = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow" }, { bytes: new TextEncoder().encode("plain text") }),
    });
    expect(text.status).toBe(415);
    expect(await t.stack.allKeys()).toEqual([]);
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("refuses an oversized body with 413 before storing anything", async () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 70_000);
    big.set(await makeImage("png"));
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow" }, { bytes: big }),
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await t.stack.allKeys()).toEqual([]);
  });

  it("refuses an image part just over the image limit with 413", async () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 10);
    big.set(await makeImage("png"));
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow" }, { bytes: big }),
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("IMAGE_TOO_LARGE");
  });

  it("takes steps within core's STEPS_RANGE (1..64), in a form and in JSON, and refuses the rest naming steps", async () => {
    expect(STEPS_RANGE).toEqual({ min: 1, max: 64 });
    const png = await makeImage("png");
    const ok = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow", steps: String(STEPS_RANGE.max) }, { bytes: png }),
    });
    expect(ok.status).toBe(202);
    const [m] = (await t.stack.drainMessages()).map((x) => SegmentMessageSchema.parse(x));
    expect(m.options.steps).toBe(STEPS_RANGE.max);
    for (const steps of [STEPS_RANGE.min - 1, STEPS_RANGE.max + 1]) {
      const viaForm = await t.app.request("/v1/segment", {
        method: "POST",
        body: form({ task: "shadow", steps: String(steps) }, { bytes: png }),
      });
      const viaJson = await t.app.request("/v1/segment", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uploadId: "abc", task: "shadow", steps }),
      });
      for (const res of [viaForm, viaJson]) {
        expect(res.status).toBe(400);
        const e = await errorOf(res);
        expect(e.code).toBe("INVALID_REQUEST");
        expect(e.message).toContain("steps");
      }
    }
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("refuses wrong field types and unknown fields with 400 naming the field", async () => {
    const png = await makeImage("png");
    const steps = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "shadow", steps: "many" }, { bytes: png }),
    });
    expect(steps.status).toBe(400);
    const e1 = await errorOf(steps);
    expect(e1.code).toBe("INVALID_REQUEST");
    expect(e1.message).toContain("steps");

    const json = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: "abc", task: 42 }),
    });
    expect(json.status).toBe(400);
    expect((await errorOf(json)).message).toContain("task");

    const extra = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: "abc", task: "shadow", T: 5 }),
    });
    expect(extra.status).toBe(400);
    expect(await t.stack.allKeys()).toEqual([]);
  });

  it("refuses a callback that is not https", async () => {
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      body: form(
        { task: "shadow", callbackUrl: "http://hooks.example/x" },
        { bytes: await makeImage("png") },
      ),
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("https");
  });

  it("refuses invalid JSON with 400 INVALID_JSON and an unsupported content type with 415", async () => {
    const bad = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("INVALID_JSON");
    const xml = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/xml" },
      body: "<a/>",
    });
    expect(xml.status).toBe(415);
    expect((await errorOf(xml)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("needs className for the class-prompted voc task", async () => {
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "voc" }, { bytes: await makeImage("png") }),
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).details).toMatchObject({ field: "className" });
    const ok = await t.app.request("/v1/segment", {
      method: "POST",
      body: form({ task: "voc", className: "dog" }, { bytes: await makeImage("png") }),
    });
    expect(ok.status).toBe(202);
  });

  it("answers 404 UPLOAD_NOT_FOUND for the id of an upload that never happened", async () => {
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: "never-uploaded", task: "shadow" }),
    });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("UPLOAD_NOT_FOUND");
  });
});
