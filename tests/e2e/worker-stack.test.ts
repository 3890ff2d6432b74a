/**
 * End to end across the queue, the worker processes and S3, on the real local stack (fauxqs on
 * free loopback ports, worker processes running packages/gpu-worker/src/main.ts).
 */
import {
  EvaluationSummarySchema,
  evaluationPrefix,
  inputKey,
  jobPrefix,
  jobResultKey,
  jobStatusKey,
  PromotionDecisionSchema,
  queuedStatus,
  TenantPolicyPointerSchema,
  tenantPolicyCurrentKey,
  tenantPolicyPrefix,
} from "@alignsam/core/light";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildHandle, LocalStack } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import {
  type CallbackReceiver,
  type Clients,
  type E2eStack,
  evaluateThroughQueue,
  putSceneDataset,
  startCallbackReceiver,
  startE2eStack,
  trainThroughQueue,
  waitFor,
  waitForState,
} from "./harness.ts";

const SECRET = "e2e-callback-secret-0123456789";
const DATASET_SIZE = 6;
const RESULT_FILES = [
  "mask.png",
  "metrics.json",
  "overlay.png",
  "probability.png",
  "rle.json",
  "steps.json",
  "trajectory.json",
];

describe("worker on the local stack", () => {
  let e2e: E2eStack;
  let stack: LocalStack;
  let c: Clients;
  let logs: string[];
  let callbacks: CallbackReceiver;

  beforeAll(async () => {
    callbacks = await startCallbackReceiver(SECRET);
    e2e = await startE2eStack({
      api: false,
      workers: 2,
      maxReceives: 2,
      workerEnv: {
        ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "3",
        ALIGNSAM_HEARTBEAT_SECONDS: "1",
        ALIGNSAM_WAIT_TIME_SECONDS: "1",
        ALIGNSAM_RETRY_DELAY_SECONDS: "1",
        ALIGNSAM_SHUTDOWN_GRACE_SECONDS: "2",
        ALIGNSAM_CALLBACK_SECRET: SECRET,
        // The callback receiver is on loopback over http: allowed for local testing only.
        ALIGNSAM_ALLOW_PRIVATE_CALLBACKS: "1",
      },
    });
    ({ stack, c, logs } = e2e);
    const { image } = await sceneFixture();
    await c.put(inputKey("public", "scene-1"), image);
    // A small labelled set: discs at varying places and sizes.
    await putSceneDataset(c, "discs", "d", DATASET_SIZE, (i) => ({
      seed: i + 7,
      cx: 0.3 + 0.08 * i,
      cy: 0.4 + 0.04 * i,
      r: 0.2 + 0.02 * i,
    }));
  });

  afterAll(async () => {
    await e2e?.stop();
    await callbacks?.close();
  });

  let next: ChildHandle | undefined;
  const stopAll = async () => {
    for (const w of stack.workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill("SIGTERM");
        await w.exited;
      }
    }
  };

  const segment = (jobId: string) => ({
    v: 1,
    type: "segment",
    jobId,
    task: "saliency",
    uploadId: "scene-1",
    callbackUrl: callbacks.url,
  });

  /** A short training run on the discs set; every run holds out the same split, so candidates compare. */
  const trainDiscs = (jobId: string, seed: number) =>
    trainThroughQueue(
      c,
      {
        jobId,
        datasetId: "discs",
        heldOutFraction: 0.34,
        options: { episodes: 1, steps: 3, ppoEpochs: 2, srmMaxEpochs: 2, srmAugment: 0, seed },
      },
      110_000,
    );

  it("retrains a task from a labelled prefix, stores the tenant's version and judges it against the bundled policy", async () => {
    const status = await trainDiscs("train-1", 1);
    expect(status.error).toBeUndefined();
    expect(status.state).toBe("succeeded");
    const decision = PromotionDecisionSchema.parse(
      await c.getJson(jobResultKey("public", "train-1", "training.json")),
    );
    // 6 pairs: trained and scored, but below the guard's 20 held-out images, so not promoted.
    expect(decision).toMatchObject({
      promoted: false,
      promotable: false,
      previousVersion: null,
      previousSource: "bundled",
    });
    expect(decision.reason).toMatch(/at least 20/);
    expect(decision.previousScore?.splitId).toBe(decision.candidateScore.splitId);
    expect(decision.pairedDifference?.images).toBe(decision.heldOutImages);
    expect(decision.trainImages + decision.heldOutImages).toBe(DATASET_SIZE);
    expect(decision.heldOutImages).toBeGreaterThan(0);
    expect(decision.candidateScore.metric).toBe("MAE");
    expect(decision.candidateScore.value).toBeGreaterThanOrEqual(0);
    expect(decision.candidateScore.value).toBeLessThanOrEqual(1);
    const files = await c.list(tenantPolicyPrefix("public", "saliency", "train-1"));
    expect(files.map((k) => k.split("/").pop())).toEqual(["card.json", "weights.bin", "weights.json"]);
    expect(await c.get(tenantPolicyCurrentKey("public", "saliency"))).toBeUndefined();
    expect(await c.list("policies/")).toEqual([]);
  }, 120_000);

  it("judges a second candidate against the tenant's promoted version on the same held-out split", async () => {
    const promotedAt = new Date().toISOString();
    await c.put(
      tenantPolicyCurrentKey("public", "saliency"),
      JSON.stringify({ v: 1, task: "saliency", current: { version: "train-1", promotedAt, by: "promote" } }),
    );
    const status = await trainDiscs("train-2", 2);
    expect(status.state).toBe("succeeded");
    const decision = PromotionDecisionSchema.parse(
      await c.getJson(jobResultKey("public", "train-2", "training.json")),
    );
    expect(decision).toMatchObject({ previousVersion: "train-1", previousSource: "tenant", promoted: false });
    expect(decision.previousScore?.splitId).toBe(decision.candidateScore.splitId);
    const pointer = TenantPolicyPointerSchema.parse(
      await c.getJson(tenantPolicyCurrentKey("public", "saliency")),
    );
    expect(pointer.current.version).toBe("train-1");
  }, 120_000);

  it("runs a segment job from message to results in S3, status succeeded, one signed callback", async () => {
    await c.put(
      jobStatusKey("public", "seg-1"),
      JSON.stringify(queuedStatus({ jobId: "seg-1", kind: "segment" })),
    );
    await c.send(segment("seg-1"));
    const status = await waitForState(c, jobStatusKey("public", "seg-1"), ["succeeded", "failed"]);
    expect(status.state).toBe("succeeded");
    expect(Object.keys(status.resultKeys).sort()).toEqual(RESULT_FILES);
    const mask = await c.get(status.resultKeys["mask.png"]);
    const meta = await sharp(mask!).metadata();
    expect([meta.width, meta.height]).toEqual([160, 120]);
    const stats = await sharp(mask!).stats();
    // A real segmentation: neither empty nor the whole frame.
    expect(stats.channels[0].mean).toBeGreaterThan(5);
    expect(stats.channels[0].mean).toBeLessThan(250);
    const rle = (await c.getJson(status.resultKeys["rle.json"])) as { size: number[] };
    expect(rle.size).toEqual([120, 160]);
    await waitFor("the callback", async () => callbacks.received.get("seg-1"));
    expect(callbacks.received.get("seg-1")!.map((s) => s.state)).toEqual(["succeeded"]);
    expect(callbacks.badSignatures).toBe(0);
  });

  it("turns a duplicated message into one result, and a late redelivery into a no-op", async () => {
    await c.send(segment("dup-1"));
    await c.send(segment("dup-1"));
    const key = jobStatusKey("public", "dup-1");
    await waitForState(c, key, ["succeeded"]);
    // Both copies are consumed (each either ran to the same keys or saw the job finished).
    await waitFor("both copies handled", async () =>
      logs.filter((l) => l.includes('"jobId":"dup-1"') && /"msg":"(done|already finished: skipped)"/.test(l))
        .length >= 2
        ? true
        : undefined,
    );
    expect(await c.list(`${jobPrefix("public", "dup-1")}results/`)).toEqual(
      RESULT_FILES.map((f) => `${jobPrefix("public", "dup-1")}results/${f}`),
    );
    // The callback's outcome lands on the status after `succeeded`: the snapshot waits for it.
    await waitFor("the callback outcome on the status", async () =>
      JSON.parse(Buffer.from((await c.get(key))!).toString()).callback ? true : undefined,
    );
    const before = Buffer.from((await c.get(key))!).toString();
    await c.send(segment("dup-1"));
    await waitFor("the late copy skipped", async () =>
      logs.some((l) => l.includes('"jobId":"dup-1"') && l.includes("already finished: skipped"))
        ? true
        : undefined,
    );
    expect(Buffer.from((await c.get(key))!).toString()).toBe(before);
  });

  it("fans an evaluation out over shards and reduces it once into a summary and a report", async () => {
    const { statusKey } = await evaluateThroughQueue(c, {
      evalId: "eval-1",
      jobId: "evaljob-1",
      datasetId: "discs",
      images: DATASET_SIZE,
      shardSize: 4,
      callbackUrl: callbacks.url,
    });
    const status = await waitForState(c, statusKey, ["succeeded", "failed"], 30_000);
    expect(status.state).toBe("succeeded");
    const summary = EvaluationSummarySchema.parse(await c.getJson(status.resultKeys["summary.json"]));
    expect(summary).toMatchObject({ images: DATASET_SIZE, failed: 0 });
    for (const m of ["MAE", "E", "mIoU"]) expect(Number.isFinite(summary.metrics[m])).toBe(true);
    const report = await c.getText(status.resultKeys["report.md"]);
    // Core's evaluation table, as `alignsam eval` writes it.
    expect(report).toContain("| method | MAE ↓ | E ↑ | mIoU ↑ | images | ms / image |");
    const perImage = await c.list(`${evaluationPrefix("public", "eval-1")}per-image/`);
    expect(perImage).toHaveLength(DATASET_SIZE);
    await waitFor("the callback", async () => callbacks.received.get("evaljob-1"));
    await new Promise((r) => setTimeout(r, 1000));
    expect(callbacks.received.get("evaljob-1")).toHaveLength(1);
  });

  it("sends a malformed message to the DLQ and marks its job failed with the reason", async () => {
    await c.send({ v: 1, type: "segment", jobId: "bad-1", uploadId: "scene-1" });
    await c.send("this is not JSON");
    const status = await waitForState(c, jobStatusKey("public", "bad-1"), ["failed"]);
    expect(status.error?.code).toBe("JOB_INVALID");
    expect(status.error?.message).toMatch(/task/);
    const dead = await waitFor("both messages in the DLQ", async () => {
      const bodies = await c.dlqBodies();
      return bodies.length >= 2 ? bodies : undefined;
    });
    expect(dead.some((b) => b.includes('"bad-1"'))).toBe(true);
    expect(dead).toContain("this is not JSON");
  });

  it("keeps a job held past the visibility timeout invisible to other workers by heartbeats", async () => {
    await stopAll();
    const holder = await stack.startWorker({ ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS: "5000" });
    await c.send(segment("hb-1"));
    await waitForState(c, jobStatusKey("public", "hb-1"), ["running"]);
    // A second worker polls all along; it would get the message (attempt 2) if visibility lapsed.
    next = await stack.startWorker({ ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS: "60000" });
    const status = await waitForState(c, jobStatusKey("public", "hb-1"), ["succeeded"], 15_000);
    expect(status.attempts).toBe(1);
    holder.child.kill("SIGTERM");
    expect(await holder.exited).toBe(0);
  });

  it("releases an in-flight job on SIGTERM so another worker takes it at once", async () => {
    const victim = next!;
    await c.send(segment("term-1"));
    await waitForState(c, jobStatusKey("public", "term-1"), ["running"]);
    next = await stack.startWorker({ ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS: "60000" });
    victim.child.kill("SIGTERM");
    expect(await victim.exited).toBe(0);
    expect(logs.some((l) => l.includes(`"worker":"${victim.name}"`) && l.includes('"released":1'))).toBe(
      true,
    );
    // Visible again at once; the other worker takes it on its second receive, without the hold.
    expect((await waitForState(c, jobStatusKey("public", "term-1"), ["succeeded"], 10_000)).attempts).toBe(2);
  });

  it("completes a job exactly once after its worker is SIGKILLed mid-job", async () => {
    const victim = next!;
    await c.send(segment("kill-1"));
    const key = jobStatusKey("public", "kill-1");
    await waitForState(c, key, ["running"]);
    victim.child.kill("SIGKILL");
    await victim.exited;
    await stack.startWorker();
    const status = await waitForState(c, key, ["succeeded", "failed"], 25_000);
    expect(status.state).toBe("succeeded");
    expect(status.attempts).toBe(2);
    expect(await c.list(`${jobPrefix("public", "kill-1")}results/`)).toHaveLength(RESULT_FILES.length);
    await waitFor("the callback", async () => callbacks.received.get("kill-1"));
    await new Promise((r) => setTimeout(r, 1500));
    expect(callbacks.received.get("kill-1")).toHaveLength(1);
  });
});
