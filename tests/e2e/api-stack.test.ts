/**
 * End to end through the HTTP API: the real local stack (emulator, API process, a worker process).
 * A signed retraining webhook trains a policy; an image posted to /v1/segment comes back as a
 * finished job with presigned result links; a dataset evaluation fans out and reduces.
 */
import { datasetPrefix, signedHeaders } from "@alignsam/core/light";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ANONYMOUS_TENANT } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import { postSegmentForm, putDocsDiscs, useE2eStack, waitFor } from "./harness.ts";

const WEBHOOK_SECRET = "e2e-webhook-secret-0123456789";
const DATASET_SIZE = 5;

interface JobView {
  jobId: string;
  state: string;
  error?: { code: string; message: string };
  summary?: Record<string, unknown>;
  policy?: { source: string; task: string; version: string };
  results: Record<string, { url: string }>;
}

describe("API + worker on the local stack", () => {
  const e2e = useE2eStack({
    api: true,
    workers: 1,
    apiEnv: { ALIGNSAM_WEBHOOK_SECRET: WEBHOOK_SECRET, ALIGNSAM_EVALUATION_SHARD_SIZE: "3" },
    workerEnv: {
      ALIGNSAM_WAIT_TIME_SECONDS: "1",
      ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "30",
      ALIGNSAM_HEARTBEAT_SECONDS: "5",
    },
  });

  beforeAll(() =>
    putDocsDiscs(e2e.c, DATASET_SIZE, (i) => ({
      seed: i + 3,
      cx: 0.35 + 0.08 * i,
      cy: 0.45,
      r: 0.22 + 0.02 * i,
    })),
  );

  const api = (path: string, init?: RequestInit) => fetch(`${e2e.stack.apiUrl}${path}`, init);
  const waitForJob = (jobId: string, timeoutMs = 45_000) =>
    waitFor(
      `job ${jobId} to finish`,
      async () => {
        const view = (await (await api(`/v1/jobs/${jobId}`)).json()) as JobView;
        return view.state === "succeeded" || view.state === "failed" ? view : undefined;
      },
      timeoutMs,
    );

  it("trains through the signed retraining webhook, then segments an uploaded image with the new policy", async () => {
    const body = JSON.stringify({
      task: "saliency",
      dataset: datasetPrefix(LOCAL_ANONYMOUS_TENANT, "discs"),
      heldOutFraction: 0.3,
      options: { episodes: 1, steps: 3, ppoEpochs: 2 },
    });
    const accepted = await api("/v1/webhooks/retrain", {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(WEBHOOK_SECRET, body) },
      body,
    });
    expect(accepted.status).toBe(202);
    const trainJob = (await accepted.json()) as { jobId: string };
    const trained = await waitForJob(trainJob.jobId);
    expect(trained.error).toBeUndefined();
    // Too few pairs for the promotion guard: stored as the tenant's version, not promoted.
    expect(trained.summary).toMatchObject({ promoted: false, promotable: false, metric: "MAE" });
    expect(trained.summary?.reason).toMatch(/at least 20/);

    const { image } = await sceneFixture({ seed: 42 });
    const posted = await postSegmentForm(e2e.stack.apiUrl!, image, {
      task: "saliency",
      policyVersion: trainJob.jobId,
    });
    expect(posted.status).toBe(202);
    const job = await waitForJob(((await posted.json()) as { jobId: string }).jobId);
    expect(job.state).toBe("succeeded");
    expect(job.summary).toMatchObject({ method: "alignsam-ppo-srm", policyVersion: trainJob.jobId });
    expect(job.policy).toEqual({ source: "tenant", task: "saliency", version: trainJob.jobId });
    const mask = new Uint8Array(await (await fetch(job.results["mask.png"].url)).arrayBuffer());
    const meta = await sharp(mask).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 160, 120]);
    const trajectory = (await (await fetch(job.results["trajectory.json"].url)).json()) as {
      steps: unknown[];
    };
    expect(trajectory.steps.length).toBeGreaterThanOrEqual(3);
  });

  it("evaluates a labelled prefix through /v1/evaluations across shards", async () => {
    const posted = await api("/v1/evaluations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ task: "saliency", dataset: datasetPrefix(LOCAL_ANONYMOUS_TENANT, "discs") }),
    });
    expect(posted.status).toBe(202);
    const accepted = (await posted.json()) as {
      evaluationId: string;
      jobId: string;
      shards: number;
      images: number;
    };
    expect([accepted.images, accepted.shards]).toEqual([DATASET_SIZE, 2]);
    const job = await waitForJob(accepted.jobId);
    expect(job.state).toBe("succeeded");
    const view = (await (await api(`/v1/evaluations/${accepted.evaluationId}`)).json()) as {
      summary?: { images: number; metrics: Record<string, number> };
    };
    expect(view.summary?.images).toBe(DATASET_SIZE);
    expect(view.summary?.metrics.MAE).toBeGreaterThanOrEqual(0);
    expect(view.summary?.metrics.MAE).toBeLessThanOrEqual(1);
  });

  it("metered the work above once per unit, for the tenant that asked for it", async () => {
    const usage = (await (await api("/v1/usage")).json()) as {
      tenant: string;
      byKind: Record<string, { records: number; images: number; steps: number; modelSeconds: number }>;
    };
    expect(usage.tenant).toBe(LOCAL_ANONYMOUS_TENANT);
    expect(usage.byKind.train).toMatchObject({ records: 1, images: DATASET_SIZE });
    expect(usage.byKind.segment).toMatchObject({ records: 1, images: 1 });
    expect(usage.byKind.segment.steps).toBeGreaterThanOrEqual(3);
    expect(usage.byKind.segment.modelSeconds).toBeGreaterThan(0);
    expect(usage.byKind["evaluation-image"]).toMatchObject({ records: DATASET_SIZE, images: DATASET_SIZE });
  });
});
