/**
 * A dataset evaluation through the API fans out over two worker processes: shards are taken by both
 * (each shard's done marker names its worker), progress moves while shards finish, and the
 * evaluation ends with exactly one summary and one report covering every image.
 */
import {
  datasetPrefix,
  EvaluationSummarySchema,
  evaluationPrefix,
  ShardDoneSchema,
} from "@alignsam/core/light";
import { beforeAll, describe, expect, it } from "vitest";
import { putSceneDataset, trainThroughQueue, useE2eStack } from "./harness.ts";

const IMAGES = 22;
const SHARD_SIZE = 4;
const SHARDS = Math.ceil(IMAGES / SHARD_SIZE);

interface Observation {
  state: string;
  job: { done: number; total: number };
  shards: { done: number; total: number };
}

describe("evaluation fan-out over worker processes", () => {
  const e2e = useE2eStack({
    api: true,
    workers: 2,
    apiEnv: { ALIGNSAM_EVALUATION_SHARD_SIZE: String(SHARD_SIZE) },
    // Anonymous requests act as "public", the tenant of the train job queued directly below.
    anonymousTenant: "public",
    // Each shard's first delivery holds its worker a moment, so the other worker takes the next
    // shard and the shards finish one by one rather than all at once.
    workerEnv: { ALIGNSAM_WAIT_TIME_SECONDS: "1", ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS: "700" },
  });

  beforeAll(async () => {
    await putSceneDataset(e2e.c, "many", "m", IMAGES, (i) => ({
      seed: i + 101,
      cx: 0.3 + 0.02 * i,
      cy: 0.35 + 0.013 * i,
      r: 0.18 + 0.006 * i,
    }));
    const trained = await trainThroughQueue(e2e.c, {
      jobId: "fanout-train",
      datasetId: "many",
      heldOutFraction: 0.8,
      options: { episodes: 1, steps: 3, ppoEpochs: 2, seed: 1 },
    });
    expect(trained.error).toBeUndefined();
  });

  const api = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${e2e.stack.apiUrl}${path}`, init);
    expect(res.status).toBeLessThan(300);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it(`spreads ${SHARDS} shards over both workers, reports progress as they finish, and reduces once`, async () => {
    const accepted = (await api("/v1/evaluations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ task: "saliency", dataset: datasetPrefix("public", "many") }),
    })) as { evaluationId: string; jobId: string; images: number; shards: number };
    expect([accepted.images, accepted.shards]).toEqual([IMAGES, SHARDS]);

    const seen: Observation[] = [];
    const deadline = Date.now() + 45_000;
    for (;;) {
      const [job, evaluation] = await Promise.all([
        api(`/v1/jobs/${accepted.jobId}`),
        api(`/v1/evaluations/${accepted.evaluationId}`),
      ]);
      seen.push({
        state: job.state as string,
        job: job.progress as Observation["job"],
        shards: evaluation.shards as Observation["shards"],
      });
      if (job.state === "succeeded" || job.state === "failed") break;
      if (Date.now() > deadline) throw new Error(`evaluation not finished: ${JSON.stringify(seen.at(-1))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: "succeeded", job: { done: SHARDS, total: SHARDS } });
    expect(last.shards).toEqual({ done: SHARDS, total: SHARDS });
    // Progress moved through intermediate values while the job ran, never backwards.
    const running = seen.filter((o) => o.state === "running");
    expect(running.some((o) => o.job.done > 0 && o.job.done < SHARDS)).toBe(true);
    expect(running.some((o) => o.shards.done > 0 && o.shards.done < SHARDS)).toBe(true);
    for (const [i, o] of seen.entries()) {
      expect(o.job.total).toBe(SHARDS);
      if (i > 0) expect(o.job.done).toBeGreaterThanOrEqual(seen[i - 1].job.done);
    }

    const prefix = evaluationPrefix("public", accepted.evaluationId);
    const markers = (await e2e.c.list(`${prefix}shards/`)).filter((k) => k.endsWith("/done.json"));
    expect(markers).toHaveLength(SHARDS);
    const done = await Promise.all(markers.map(async (k) => ShardDoneSchema.parse(await e2e.c.getJson(k))));
    const workers = new Set(done.map((d) => d.worker));
    expect([...workers].sort()).toEqual(["worker-1", "worker-2"]);
    expect(done.reduce((n, d) => n + d.images, 0)).toBe(IMAGES);

    // One summary and one report, over every image, none failed.
    const objects = await e2e.c.list(prefix);
    expect(objects.filter((k) => k.endsWith("/report.md"))).toEqual([`${prefix}report.md`]);
    expect(objects.filter((k) => k.endsWith("/summary.json"))).toEqual([`${prefix}summary.json`]);
    expect(objects.filter((k) => k.includes("/per-image/"))).toHaveLength(IMAGES);
    const summary = EvaluationSummarySchema.parse(await e2e.c.getJson(`${prefix}summary.json`));
    expect(summary).toMatchObject({ images: IMAGES, failed: 0 });
    const report = await e2e.c.getText(`${prefix}report.md`);
    expect(report).toContain(`${IMAGES} images scored, 0 failed`);
    // The self-contained HTML report beside it, linked from GET /v1/evaluations/{id}.
    expect(objects.filter((k) => k.endsWith("/report.html"))).toEqual([`${prefix}report.html`]);
    const view = (await api(`/v1/evaluations/${accepted.evaluationId}`)) as {
      reports: Record<string, { url: string }>;
    };
    const html = await (await fetch(view.reports["report.html"].url)).text();
    expect(html).toContain(`<figure data-section="histogram" data-images="${IMAGES}">`);
    // The reduce ran (two shards finishing at the same instant may both enqueue one; the second
    // finds the job finished, or rewrites the same objects).
    const reduces = e2e.logs.filter((l) => l.includes('"type":"eval-reduce"') && l.includes('"msg":"done"'));
    expect(reduces.length).toBeGreaterThanOrEqual(1);
  });
});
