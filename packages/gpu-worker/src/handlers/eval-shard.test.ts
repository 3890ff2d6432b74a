/**
 * eval-shard through the shard loop it shares with batch-shard (./shard-run.ts): a corrupt image
 * condemns itself and not the shard, each good image is metered once, the reduce is enqueued only
 * by the shard that sees every done marker, a redelivery neither rescoring nor re-metering, and a
 * shard the manifest lacks is refused.
 */
import {
  datasetPrefix,
  type EvaluationManifest,
  evaluationManifestKey,
  evaluationPerImageKey,
  evaluationShardDoneKey,
  type JobMessageInput,
  PerImageMetricsSchema,
  usagePrefix,
} from "@alignsam/core/light";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HandlerContext } from "../context.ts";
import { startTestEmulator, type TestEmulator } from "../testing/emulator.ts";
import { discPair, testHandlerContext } from "../testing/handler-fixtures.ts";
import { handleEvalShard } from "./eval-shard.ts";

const delivery = { receiveCount: 1, lastAttempt: false };
const TENANT = "public";
const EVAL = "ev1";

const manifest: EvaluationManifest = {
  v: 1,
  evalId: EVAL,
  jobId: `${EVAL}-job`,
  tenant: TENANT,
  task: "saliency",
  datasetId: "ds",
  shards: [
    { index: 0, items: ["a", "bad"].map((id) => ({ id, image: `${id}.png`, mask: `${id}.png` })) },
    { index: 1, items: [{ id: "b", image: "b.png", mask: "b.png" }] },
  ],
  createdAt: "2026-03-04T05:06:07.000Z",
};

const shardMsg = (shard: number) => ({
  v: 1 as const,
  type: "eval-shard" as const,
  jobId: manifest.jobId,
  tenant: TENANT,
  evalId: EVAL,
  shard,
  submittedAt: manifest.createdAt,
});

describe("eval-shard: the shard loop", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const sent: JobMessageInput[] = [];

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = testHandlerContext(emu.storage, {
      enqueue: async (m) => {
        sent.push(m);
      },
      now: () => new Date("2026-03-04T05:07:00.000Z"),
    });
    const { image, mask } = await discPair(48, 40, 12);
    const prefix = datasetPrefix(TENANT, "ds");
    for (const id of ["a", "b"]) {
      await emu.storage.putBytes(`${prefix}images/${id}.png`, image, "image/png");
      await emu.storage.putBytes(`${prefix}masks/${id}.png`, mask, "image/png");
    }
    await emu.storage.putBytes(`${prefix}images/bad.png`, new TextEncoder().encode("not a png"), "image/png");
    await emu.storage.putBytes(`${prefix}masks/bad.png`, mask, "image/png");
    await emu.storage.putJson(evaluationManifestKey(TENANT, EVAL), manifest);
  });
  afterAll(async () => {
    await emu?.close();
  });

  const usageKeys = async () => (await emu.storage.list(usagePrefix(TENANT))).sort();

  it("records the corrupt image as failed, meters the good ones once, and reduces after the last shard", async () => {
    expect(await handleEvalShard(ctx, shardMsg(0), delivery)).toEqual({ outcome: "succeeded" });
    expect(sent).toEqual([]); // one shard of two done: no reduce yet
    const bad = await emu.storage.getJson(evaluationPerImageKey(TENANT, EVAL, "bad"), PerImageMetricsSchema);
    expect(bad).toMatchObject({ imageId: "bad", shard: 0, metrics: {}, error: { code: "IMAGE_DECODE" } });
    const good = await emu.storage.getJson(evaluationPerImageKey(TENANT, EVAL, "a"), PerImageMetricsSchema);
    expect(good?.error).toBeUndefined();
    expect(good?.metrics.mIoU).toBeGreaterThanOrEqual(0);
    const marker = JSON.parse(
      Buffer.from((await emu.storage.getBytes(evaluationShardDoneKey(TENANT, EVAL, 0)))!).toString(),
    );
    expect(marker).toMatchObject({ v: 1, evalId: EVAL, shard: 0, images: 2, failed: ["bad"] });

    await handleEvalShard(ctx, shardMsg(1), delivery);
    expect(sent).toEqual([
      { v: 1, type: "eval-reduce", jobId: manifest.jobId, tenant: TENANT, evalId: EVAL },
    ]);
    expect(await usageKeys()).toEqual(
      ["a", "b"].map((id) => `${usagePrefix(TENANT)}2026-03-04/${manifest.jobId}/images/${id}.json`),
    );
  });

  it("redoes nothing for a shard cut off before its marker: finished images are neither rescored nor re-metered", async () => {
    const key = evaluationPerImageKey(TENANT, EVAL, "a");
    const before = await emu.storage.getBytes(key);
    const usage = await usageKeys();
    await emu.storage.client.send(
      new DeleteObjectCommand({ Bucket: emu.bucket, Key: evaluationShardDoneKey(TENANT, EVAL, 0) }),
    );
    sent.length = 0;
    await handleEvalShard(ctx, shardMsg(0), { receiveCount: 2, lastAttempt: false });
    expect(await emu.storage.getBytes(key)).toEqual(before);
    expect(await usageKeys()).toEqual(usage);
    const marker = JSON.parse(
      Buffer.from((await emu.storage.getBytes(evaluationShardDoneKey(TENANT, EVAL, 0)))!).toString(),
    );
    expect(marker.failed).toEqual(["bad"]);
    // Both markers exist again: this shard sends the (idempotent) reduce once more.
    expect(sent.map((m) => m.type)).toEqual(["eval-reduce"]);
  });

  it("refuses a shard the manifest does not have", async () => {
    await expect(handleEvalShard(ctx, shardMsg(2), delivery)).rejects.toMatchObject({
      code: "JOB_INVALID",
      message: `evaluation "${EVAL}" has 2 shards, not 3`,
    });
  });
});
