import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTaskRegistry,
  type EvaluationManifest,
  EvaluationSummarySchema,
  evaluationManifestKey,
  evaluationPerImageKey,
  evaluationSummaryKey,
  inputKey,
  type JobMessageInput,
  JobStatusSchema,
  jobStatusKey,
  queuedStatus,
} from "@alignsam/core/light";
import { S3ServiceException } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HandlerContext, jsonLogger } from "./context.ts";
import { createCoreEngine } from "./core-engine.ts";
import { dispatch } from "./dispatch.ts";
import type { Storage } from "./storage.ts";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

const first = { receiveCount: 1, lastAttempt: false };
const last = { receiveCount: 3, lastAttempt: true };

describe("dispatching job messages", () => {
  let emu: TestEmulator;
  let enqueued: JobMessageInput[];
  let ctx: HandlerContext;
  const status = (jobId: string) => emu.storage.getJson(jobStatusKey("public", jobId), JobStatusSchema);

  beforeAll(async () => {
    emu = await startTestEmulator();
    enqueued = [];
    ctx = {
      storage: emu.storage,
      engine: createCoreEngine({ bundledPolicyDir: mkdtempSync(join(tmpdir(), "no-policies-")) }),
      tasks: defaultTaskRegistry,
      log: jsonLogger({}, () => {}),
      enqueue: async (m) => {
        enqueued.push(m);
      },
      now: () => new Date(),
    };
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: "#336699" } })
      .png()
      .toBuffer();
    await emu.storage.putBytes(inputKey("public", "img"), new Uint8Array(png), "image/png");
  });
  afterAll(async () => {
    await emu.close();
  });

  it("marks a schema-invalid message's job failed with JOB_INVALID and leaves the message for the DLQ", async () => {
    const r = await dispatch(
      ctx,
      JSON.stringify({ v: 1, type: "segment", jobId: "poison-1", task: "blur" }),
      first,
    );
    expect(r).toMatchObject({ ack: false, poison: true });
    const s = await status("poison-1");
    expect(s).toMatchObject({ state: "failed", error: { code: "JOB_INVALID" } });
    expect(s?.error?.message).toMatch(/uploadId/);
  });

  it("fails a job permanently (acknowledged) when its upload is missing", async () => {
    const r = await dispatch(
      ctx,
      JSON.stringify({ v: 1, type: "segment", jobId: "noimg", task: "blur", uploadId: "nope" }),
      first,
    );
    expect(r).toMatchObject({ ack: true, outcome: "failed" });
    expect((await status("noimg"))?.error?.code).toBe("IMAGE_EMPTY");
  });

  it("fails an unknown task with UNKNOWN_TASK listing the valid ones", async () => {
    const r = await dispatch(
      ctx,
      JSON.stringify({ v: 1, type: "segment", jobId: "unk", task: "sky", uploadId: "img" }),
      first,
    );
    expect(r).toMatchObject({ ack: true, outcome: "failed" });
    expect((await status("unk"))?.error?.message).toMatch(/expected one of: blur, shadow/);
  });

  it("fails a task that has never been trained with POLICY_NOT_FOUND", async () => {
    const r = await dispatch(
      ctx,
      JSON.stringify({ v: 1, type: "segment", jobId: "nopol", task: "glass", uploadId: "img" }),
      first,
    );
    expect(r).toMatchObject({ ack: true, outcome: "failed" });
    expect((await status("nopol"))?.error?.code).toBe("POLICY_NOT_FOUND");
  });

  it("does nothing for a redelivered message of a finished job", async () => {
    const done = { ...queuedStatus({ jobId: "fin", kind: "segment" }), state: "succeeded" as const };
    await emu.storage.putJson(jobStatusKey("public", "fin"), done);
    const before = await emu.storage.getBytes(jobStatusKey("public", "fin"));
    const r = await dispatch(
      ctx,
      JSON.stringify({ v: 1, type: "segment", jobId: "fin", task: "blur", uploadId: "img" }),
      first,
    );
    expect(r).toMatchObject({ ack: true, outcome: "skipped" });
    expect(await emu.storage.getBytes(jobStatusKey("public", "fin"))).toEqual(before);
  });

  it("leaves a transient S3 fault for redelivery, and marks the job failed INTERNAL only on the last receive", async () => {
    const faulty: Storage = {
      ...emu.storage,
      getBytes: async (key) => {
        if (key.includes("/inputs/")) {
          throw new S3ServiceException({ name: "InternalError", $fault: "server", $metadata: {} });
        }
        return emu.storage.getBytes(key);
      },
    };
    const c = { ...ctx, storage: faulty };
    const body = JSON.stringify({ v: 1, type: "segment", jobId: "flaky", task: "blur", uploadId: "img" });
    expect(await dispatch(c, body, first)).toMatchObject({ ack: false, poison: false });
    expect((await status("flaky"))?.state).toBe("running");
    expect(await dispatch(c, body, last)).toMatchObject({ ack: false, poison: false });
    expect(await status("flaky")).toMatchObject({
      state: "failed",
      attempts: 3,
      error: { code: "INTERNAL" },
    });
  });

  it("enqueues the reduce from the shard that completes the set, and reduces exactly once", async () => {
    const items = ["a", "b", "c"].map((id) => ({ id, image: `${id}.png`, mask: `${id}.png` }));
    const manifest: EvaluationManifest = {
      v: 1,
      evalId: "ev",
      jobId: "evjob",
      tenant: "public",
      task: "blur",
      datasetId: "ds",
      shards: [
        { index: 0, items: items.slice(0, 2) },
        { index: 1, items: items.slice(2) },
      ],
      createdAt: new Date().toISOString(),
    };
    await emu.storage.putJson(evaluationManifestKey("public", "ev"), manifest);
    // Per-image documents already written (as by an earlier, interrupted delivery): shards resume.
    const iou: Record<string, number> = { a: 0.5, b: 0.7, c: 0.9 };
    for (const [i, item] of items.entries()) {
      await emu.storage.putJson(evaluationPerImageKey("public", "ev", item.id), {
        v: 1,
        evalId: "ev",
        imageId: item.id,
        shard: i < 2 ? 0 : 1,
        metrics: { mIoU: iou[item.id], F: 0.5, BER: 10 },
        durationMs: 1,
      });
    }
    enqueued.length = 0;
    const shard = (n: number) =>
      JSON.stringify({ v: 1, type: "eval-shard", jobId: "evjob", evalId: "ev", shard: n });
    expect(await dispatch(ctx, shard(0), first)).toMatchObject({ ack: true });
    expect(enqueued).toHaveLength(0);
    expect((await status("evjob"))?.state).toBe("running");
    expect(await dispatch(ctx, shard(1), first)).toMatchObject({ ack: true });
    expect(enqueued).toEqual([{ v: 1, type: "eval-reduce", jobId: "evjob", tenant: "public", evalId: "ev" }]);

    const reduce = JSON.stringify(enqueued[0]);
    const r = await dispatch(ctx, reduce, first);
    expect(r).toMatchObject({ ack: true, outcome: "succeeded" });
    const summary = await emu.storage.getJson(evaluationSummaryKey("public", "ev"), EvaluationSummarySchema);
    expect(summary?.images).toBe(3);
    expect(summary?.metrics.mIoU).toBeCloseTo(0.7, 10);
    expect((await status("evjob"))?.state).toBe("succeeded");
    const before = await emu.storage.getBytes(jobStatusKey("public", "evjob"));
    expect(await dispatch(ctx, reduce, first)).toMatchObject({ ack: true, outcome: "skipped" });
    expect(await emu.storage.getBytes(jobStatusKey("public", "evjob"))).toEqual(before);
  });
});
