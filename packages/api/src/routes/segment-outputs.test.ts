import { SegmentMessageSchema } from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { makeImage } from "../testing/images.ts";

describe("POST /v1/segment outputs", () => {
  const t = useTestApp();

  async function postForm(outputs: string[]) {
    const f = new FormData();
    f.set("image", new File([await makeImage("png")], "x.png", { type: "image/png" }));
    f.set("task", "shadow");
    for (const o of outputs) f.append("outputs", o);
    return t.app.request("/v1/segment", { method: "POST", body: f });
  }

  const sent = async () => (await t.stack.drainMessages()).map((m) => SegmentMessageSchema.parse(m));

  it("passes repeated or comma-separated form outputs through to the message, once each", async () => {
    expect((await postForm(["mask", "rle"])).status).toBe(202);
    expect((await sent())[0].outputs).toEqual(["mask", "rle"]);
    expect((await postForm(["overlay,metrics", "overlay"])).status).toBe(202);
    expect((await sent())[0].outputs).toEqual(["overlay", "metrics"]);
  });

  it("passes JSON outputs through, and leaves them out (all) when absent", async () => {
    const f = new FormData();
    f.set("image", new File([await makeImage("png")], "x.png", { type: "image/png" }));
    f.set("task", "shadow");
    const first = await t.app.request("/v1/segment", { method: "POST", body: f });
    expect(first.status).toBe(202);
    const [m] = await sent();
    expect(m.outputs).toBeUndefined();
    const res = await t.app.request("/v1/segment", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: m.uploadId, task: "shadow", outputs: ["probability"] }),
    });
    expect(res.status).toBe(202);
    expect((await sent())[0].outputs).toEqual(["probability"]);
  });

  it("refuses an unknown output with 400 naming the valid ones, and writes nothing", async () => {
    const res = await postForm(["mask", "contours"]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(JSON.stringify(body.error)).toMatch(/trajectory/);
    expect(await t.stack.allKeys()).toEqual([]);
    expect(await t.stack.drainMessages()).toEqual([]);
  });
});
