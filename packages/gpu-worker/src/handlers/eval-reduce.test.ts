/**
 * The evaluation job's numbers come from core's one aggregation: shards store each image's pixel
 * counts and class, and the reduce pools them, so a voc evaluation's mIoU is the class-pooled one
 * `alignsam eval` and eval:all print, with the per-image mean beside it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  datasetPrefix,
  type EvaluationManifest,
  EvaluationSummarySchema,
  evaluationManifestKey,
  evaluationPerImageKey,
  evaluationSummaryKey,
  JobStatusSchema,
  jobStatusKey,
  PerImageMetricsSchema,
} from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HandlerContext } from "../context.ts";
import { promoteVersion, savePolicyVersion } from "../policy-store.ts";
import { startTestEmulator, type TestEmulator } from "../testing/emulator.ts";
import { discPair, SHIPPED_POLICIES, testHandlerContext } from "../testing/handler-fixtures.ts";
import { handleEvalReduce } from "./eval-reduce.ts";
import { handleEvalShard } from "./eval-shard.ts";

const delivery = { receiveCount: 1, lastAttempt: false };

const manifestOf = (evalId: string, task: string, ids: string[], className?: string): EvaluationManifest => ({
  v: 1,
  evalId,
  jobId: `${evalId}-job`,
  tenant: "public",
  task,
  datasetId: "ds",
  ...(className ? { className } : {}),
  shards: [{ index: 0, items: ids.map((id) => ({ id, image: `${id}.png`, mask: `${id}.png` })) }],
  createdAt: "2026-01-02T03:04:05.000Z",
});

describe("evaluation metrics through shards and reduce", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = testHandlerContext(emu.storage);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("reduces a voc evaluation to the class-pooled mIoU and the image mean", async () => {
    // I / U per image: a 8/10, b 1/4 (class "cat" in both); IoU 0.8 and 0.25.
    const docs = [
      { id: "a", counts: { tp: 8, fp: 2, fn: 0, tn: 5 }, iou: 0.8 },
      { id: "b", counts: { tp: 1, fp: 1, fn: 2, tn: 5 }, iou: 0.25 },
    ];
    await emu.storage.putJson(
      evaluationManifestKey("public", "voc1"),
      manifestOf(
        "voc1",
        "voc",
        docs.map((d) => d.id),
        "cat",
      ),
    );
    for (const d of docs) {
      await emu.storage.putJson(evaluationPerImageKey("public", "voc1", d.id), {
        v: 1,
        evalId: "voc1",
        imageId: d.id,
        shard: 0,
        metrics: { mIoU: d.iou },
        counts: d.counts,
        className: "cat",
        durationMs: 1,
      });
    }
    const reduced = await handleEvalReduce(
      ctx,
      { v: 1, type: "eval-reduce", jobId: "voc1-job", tenant: "public", evalId: "voc1" },
      delivery,
    );
    expect(reduced).toMatchObject({ outcome: "succeeded" });
    const summary = await emu.storage.getJson(
      evaluationSummaryKey("public", "voc1"),
      EvaluationSummarySchema,
    );
    // pooled (8 + 1) / (10 + 4) = 9/14, not the image mean (0.8 + 0.25) / 2 = 0.525
    expect(summary?.metrics.mIoU).toBeCloseTo(9 / 14, 12);
    expect(summary?.metrics.imageMeanIoU).toBeCloseTo(0.525, 12);
  });

  it("stores each image's pixel counts and class, consistent with its IoU", async () => {
    const [w, h] = [64, 48];
    const { image, mask, foreground } = await discPair(w, h, 14);
    await emu.storage.putBytes(`${datasetPrefix("public", "ds")}images/s.png`, image, "image/png");
    await emu.storage.putBytes(`${datasetPrefix("public", "ds")}masks/s.png`, mask, "image/png");
    await emu.storage.putJson(
      evaluationManifestKey("public", "sal1"),
      manifestOf("sal1", "saliency", ["s"], "disc"),
    );
    const shard = {
      v: 1 as const,
      type: "eval-shard" as const,
      jobId: "sal1-job",
      tenant: "public",
      evalId: "sal1",
      shard: 0,
    };
    expect(await handleEvalShard(ctx, shard, delivery)).toMatchObject({ outcome: "succeeded" });
    const doc = await emu.storage.getJson(
      evaluationPerImageKey("public", "sal1", "s"),
      PerImageMetricsSchema,
    );
    expect(doc?.className).toBe("disc");
    const c = doc!.counts!;
    expect(c.tp + c.fp + c.fn + c.tn).toBe(w * h);
    expect(c.tp + c.fn).toBe(foreground);
    expect(doc?.metrics.mIoU).toBeCloseTo(c.tp / (c.tp + c.fp + c.fn), 12);
  });
});

describe("an evaluation job's status names the policy that served it", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = testHandlerContext(emu.storage);
    // acme promotes a version of blur (the shipped files, as a version of its own); bolt has none.
    const files = new Map<string, Uint8Array>();
    for (const name of ["card.json", "weights.json", "weights.bin"])
      files.set(name, new Uint8Array(await readFile(join(SHIPPED_POLICIES, "blur", name))));
    await savePolicyVersion(emu.storage, { tenant: "acme", task: "blur", version: "b1", files });
    await promoteVersion(emu.storage, "acme", "blur", {
      version: "b1",
      promotedAt: "2026-03-04T05:00:00.000Z",
      by: "promote",
    });
    const { image, mask } = await discPair(48, 40, 12);
    for (const tenant of ["acme", "bolt"]) {
      await emu.storage.putBytes(`${datasetPrefix(tenant, "ds")}images/s.png`, image, "image/png");
      await emu.storage.putBytes(`${datasetPrefix(tenant, "ds")}masks/s.png`, mask, "image/png");
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  async function evaluate(tenant: string) {
    const manifest = { ...manifestOf("e1", "blur", ["s"]), tenant };
    await emu.storage.putJson(evaluationManifestKey(tenant, "e1"), manifest);
    const base = { v: 1 as const, jobId: manifest.jobId, tenant, evalId: "e1" };
    expect(await handleEvalShard(ctx, { ...base, type: "eval-shard", shard: 0 }, delivery)).toMatchObject({
      outcome: "succeeded",
    });
    expect(await handleEvalReduce(ctx, { ...base, type: "eval-reduce" }, delivery)).toMatchObject({
      outcome: "succeeded",
    });
    return (await emu.storage.getJson(jobStatusKey(tenant, manifest.jobId), JobStatusSchema))!;
  }

  it("names the tenant's promoted version, or the bundled policy for a tenant that promoted none", async () => {
    expect(await evaluate("acme")).toMatchObject({
      state: "succeeded",
      policy: { source: "tenant", task: "blur", version: "b1" },
    });
    expect(await evaluate("bolt")).toMatchObject({
      state: "succeeded",
      policy: { source: "bundled", task: "blur", version: "bundled:blur" },
    });
  }, 120_000);
});
