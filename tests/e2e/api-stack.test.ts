/**
 * End to end through the HTTP API: the real local stack (emulator, API process, a worker process).
 * A signed retraining webhook trains a policy; an image posted to /v1/segment comes back as a
 * finished job with presigned result links; a dataset evaluation fans out and reduces.
 */
import { datasetPrefix, signedHeaders } from "@alignsam/core/light";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import { type Clients, clientsFor, waitFor } from "./harness.ts";

const WEBHOOK_SECRET = "e2e-webhook-secret-0123456789";
const DATASET_SIZE = 5;

interface JobView {
  jobId: string;
  state: string;
  error?: { code: string; message: string };
  summary?: Record<string, unknown>;
  results: Record<string, { url: string }>;
}

describe("API + worker on the local stack", () => {
  let stack: LocalStack;
  let c: Clients;
  const logs: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      emulatorPort: 0,
      apiPort: 0,
      api: true,
      workers: 1,
      log: (line) => logs.push(line),
      apiEnv: { ALIGNSAM_WEBHOOK_SECRET: WEBHOOK_SECRET, ALIGNSAM_EVALUATION_SHARD_SIZE: "3" },
      workerEnv: {
        ALIGNSAM_WAIT_TIME_SECONDS: "1",
        ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "30",
        ALIGNSAM_HEARTBEAT_SECONDS: "5",
      },
    });
    c = clientsFor(stack);
    for (let i = 0; i < DATASET_SIZE; i++) {
      const f = await sceneFixture({ seed: i + 3, cx: 0.35 + 0.08 * i, cy: 0.45, r: 0.22 + 0.02 * i });
      await c.put(`${datasetPrefix("public", "discs")}images/d${i}.png`, f.image);
      await c.put(`${datasetPrefix("public", "discs")}masks/d${i}.png`, f.mask);
    }
  });

  afterAll(async () => {
    c?.close();
    await stack?.stop();
    if (process.env.ALIGNSAM_E2E_LOGS) console.log(logs.join("\n"));
  });

  const api = (path: string, init?: RequestInit) => fetch(`${stack.apiUrl}${path}`, init);
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
      dataset: datasetPrefix("public", "discs"),
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
    expect(trained.summary).toMatchObject({ promoted: true, metric: "MAE" });

    const { image } = await sceneFixture({ seed: 42 });
    const form = new FormData();
    form.set("image", new File([Buffer.from(image)], "scene.png", { type: "image/png" }));
    form.set("task", "saliency");
    const posted = await api("/v1/segment", { method: "POST", body: form });
    expect(posted.status).toBe(202);
    const job = await waitForJob(((await posted.json()) as { jobId: string }).jobId);
    expect(job.state).toBe("succeeded");
    expect(job.summary).toMatchObject({ method: "alignsam-ppo-srm", policyVersion: trainJob.jobId });
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
      body: JSON.stringify({ task: "saliency", dataset: datasetPrefix("public", "discs") }),
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
});
