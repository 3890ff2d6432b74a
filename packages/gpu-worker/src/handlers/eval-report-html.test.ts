import {
  datasetPrefix,
  type EvaluationManifest,
  EvaluationSummarySchema,
  evaluationManifestKey,
  evaluationPerImageKey,
  evaluationReportKey,
  evaluationSummaryKey,
  JobStatusSchema,
  jobStatusKey,
} from "@alignsam/core/light";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HandlerContext } from "../context.ts";
import { startTestEmulator, type TestEmulator } from "../testing/emulator.ts";
import { testHandlerContext } from "../testing/handler-fixtures.ts";
import { handleEvalReduce } from "./eval-reduce.ts";
import { evaluationHtmlKey } from "./eval-report-html.ts";
import { handleEvalShard } from "./eval-shard.ts";

const delivery = { receiveCount: 1, lastAttempt: false };

/** A 96x72 scene with a disc at (cx, cy), and the disc as its mask PNG. */
async function scene(cx: number, cy: number): Promise<{ image: Uint8Array; mask: Uint8Array }> {
  const [w, h, r] = [96, 72, 20];
  const rgb = Buffer.alloc(w * h * 3);
  const grey = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      grey[y * w + x] = inside ? 255 : 0;
      rgb.set(inside ? [240, 210, 30] : [40, 60 + (x % 50), 120], (y * w + x) * 3);
    }
  }
  const raw = (data: Buffer, channels: 1 | 3) => sharp(data, { raw: { width: w, height: h, channels } });
  return {
    image: new Uint8Array(await raw(rgb, 3).png().toBuffer()),
    mask: new Uint8Array(await raw(grey, 1).png().toBuffer()),
  };
}

describe("the evaluation's report.html", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const warnings: string[] = [];

  const manifestOf = (evalId: string, datasetId: string, ids: string[]): EvaluationManifest => ({
    v: 1,
    evalId,
    jobId: `${evalId}-job`,
    tenant: "public",
    task: "saliency",
    datasetId,
    shards: [{ index: 0, items: ids.map((id) => ({ id, image: `${id}.png`, mask: `${id}.png` })) }],
    createdAt: "2026-01-02T03:04:05.000Z",
  });
  const reduce = (evalId: string) =>
    handleEvalReduce(
      ctx,
      { v: 1, type: "eval-reduce", jobId: `${evalId}-job`, tenant: "public", evalId },
      delivery,
    );
  const htmlOf = async (evalId: string) => {
    const bytes = await emu.storage.getBytes(evaluationHtmlKey(evaluationReportKey("public", evalId)));
    return bytes ? Buffer.from(bytes).toString("utf8") : undefined;
  };

  beforeAll(async () => {
    emu = await startTestEmulator();
    // The shipped saliency policy, so that the gallery shows the agent's clicks.
    ctx = testHandlerContext(emu.storage, {
      onLog: (line) => {
        if (line.includes('"level":"warn"')) warnings.push(line);
      },
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("is written beside summary.json with its metrics, the IoU histogram and a gallery with the clicks", async () => {
    const ids = ["a", "b", "c", "d"];
    for (const [i, id] of ids.entries()) {
      const { image, mask } = await scene(25 + 15 * i, 36);
      await emu.storage.putBytes(`${datasetPrefix("public", "ds")}images/${id}.png`, image, "image/png");
      await emu.storage.putBytes(`${datasetPrefix("public", "ds")}masks/${id}.png`, mask, "image/png");
    }
    await emu.storage.putJson(evaluationManifestKey("public", "ev1"), manifestOf("ev1", "ds", ids));
    const shard = {
      v: 1 as const,
      type: "eval-shard" as const,
      jobId: "ev1-job",
      tenant: "public",
      evalId: "ev1",
      shard: 0,
    };
    expect(await handleEvalShard(ctx, shard, delivery)).toMatchObject({ outcome: "succeeded" });
    expect(await reduce("ev1")).toMatchObject({ outcome: "succeeded" });

    const status = await emu.storage.getJson(jobStatusKey("public", "ev1-job"), JobStatusSchema);
    const htmlKey = evaluationHtmlKey(evaluationReportKey("public", "ev1"));
    expect(status?.resultKeys?.["report.html"]).toBe(htmlKey);
    const summary = await emu.storage.getJson(evaluationSummaryKey("public", "ev1"), EvaluationSummarySchema);
    const html = (await htmlOf("ev1"))!;
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`<td data-metric="mIoU" data-value="${summary!.metrics.mIoU}"`);
    expect(html).toContain('<figure data-section="histogram" data-images="4">');
    expect(html).toContain('data-section="gallery" data-mode="images"');
    expect(html.match(/<div class="case" data-rank="(best|median|worst)"/g)).toHaveLength(3);
    // Per case: photo and truth as <img>, the prediction as an <svg> with the clicks over it.
    expect(html.match(/<img class="thumb" src="data:image\//g)).toHaveLength(6);
    expect(html.match(/<svg class="thumb"[^>]*>[\s\S]*?<image href="data:image\//g)).toHaveLength(3);
    expect(html).toMatch(/<g class="click" data-order="\d+" data-label="[01]">/);
    expect(html).not.toMatch(/\b(?:src|href)="(?!data:|#)/);
  });

  it("lists the cases without pictures when the images are gone, and still succeeds", async () => {
    const ids = ["x", "y", "z"];
    await emu.storage.putJson(evaluationManifestKey("public", "ev2"), manifestOf("ev2", "gone", ids));
    for (const [i, id] of ids.entries()) {
      await emu.storage.putJson(evaluationPerImageKey("public", "ev2", id), {
        v: 1,
        evalId: "ev2",
        imageId: id,
        shard: 0,
        metrics: { mIoU: 0.2 + 0.3 * i, MAE: 0.1, E: 0.5 },
        durationMs: 3,
      });
    }
    await emu.storage.putJson(`${datasetPrefix("public", "gone")}.keep`, {});
    expect(await reduce("ev2")).toMatchObject({ outcome: "succeeded" });
    const html = (await htmlOf("ev2"))!;
    expect(html).toContain('data-section="gallery" data-mode="none"');
    expect([...html.matchAll(/<tr data-rank="(\w+)" data-id="(\w+)">/g)].map((m) => [m[1], m[2]])).toEqual([
      ["best", "z"],
      ["median", "y"],
      ["worst", "x"],
    ]);
    expect(html).toContain("could not be drawn");
    expect(warnings.some((w) => w.includes("report.html: gallery without pictures"))).toBe(true);
  });
});
