/**
 * A tenant's own task, end to end on the local stack: tenant A defines "discs", puts 50 labelled
 * pairs under its prefix, trains (following live progress, with a worker SIGKILLed mid-run on the
 * second run), receives a report with baselines, promotes, segments with it, promotes a second
 * version and rolls back; a 4-image run trains but is refused promotion naming the minimum. Tenant
 * B's masks for every built-in task, and its view of the name "discs", are the same before and after.
 * Usage shows each training run once with its minutes.
 */
import {
  ApiKeyRecordSchema,
  apiKeyRecordKey,
  datasetPrefix,
  mintApiKey,
  type TrainingProgress,
  usagePrefix,
} from "@alignsam/core/light";
import { beforeAll, describe, expect, it } from "vitest";
import { sceneFixture } from "./fixtures.ts";
import { useE2eStack, waitFor } from "./harness.ts";

const A = "tenant-a";
const B = "tenant-b";
const TASK = "discs";
/** Small settings so a 50-pair run takes well under a minute here (the guard's minimums are met). */
const OPTIONS = { episodes: 1, steps: 3, ppoEpochs: 2, srmMaxEpochs: 2, srmAugment: 0 };
const BUILTIN: ReadonlyArray<{ task: string; className?: string }> = [
  { task: "blur" },
  { task: "shadow" },
  { task: "glass" },
  { task: "saliency" },
  { task: "voc", className: "person" },
];

interface TrainingView {
  state: string;
  attempts: number;
  progress: TrainingProgress | null;
  report: {
    promoted: boolean;
    promotable: boolean;
    reason: string;
    trainImages: number;
    heldOutImages: number;
    previousSource: string;
    candidateScore: { metric: string; value: number; images: number };
    baselines: Record<string, number | null>;
    pairedDifference: { mean: number; standardError: number } | null;
  } | null;
}

describe("tenant-scoped tasks: define, train, evaluate, promote, serve, roll back", () => {
  const e2e = useE2eStack({
    api: true,
    workers: 1,
    restart: { maxRestarts: 3, windowMs: 300_000, initialDelayMs: 200, maxDelayMs: 1_000 },
    workerEnv: {
      // A killed run's message comes back 3 s after the kill (the heartbeat dies with the worker).
      ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "3",
      ALIGNSAM_HEARTBEAT_SECONDS: "1",
      ALIGNSAM_WAIT_TIME_SECONDS: "1",
      ALIGNSAM_RETRY_DELAY_SECONDS: "1",
    },
  });
  const keys: Record<string, string> = {};
  let scene: Uint8Array;

  const api = async (tenant: string, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", keys[tenant]);
    if (typeof init.body === "string") headers.set("content-type", "application/json");
    return fetch(`${e2e.stack.apiUrl}${path}`, { ...init, headers });
  };
  const json = async (tenant: string, path: string, init: RequestInit = {}) => {
    const res = await api(tenant, path, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** Segment `scene` as `tenant`; the finished job view (status 200) and its mask bytes. */
  const segment = async (tenant: string, task: string, className?: string) => {
    const form = new FormData();
    form.set("image", new File([Buffer.from(scene)], "scene.png", { type: "image/png" }));
    form.set("task", task);
    form.set("outputs", "mask");
    if (className) form.set("className", className);
    const res = await api(tenant, "/v1/segment", { method: "POST", body: form });
    const accepted = (await res.json()) as { jobId: string; error?: { code: string } };
    if (res.status !== 202) return { status: res.status, code: accepted.error?.code };
    const job = await waitFor(
      `segment ${task} for ${tenant}`,
      async () => {
        const { body } = await json(tenant, `/v1/jobs/${accepted.jobId}`);
        return body.state === "succeeded" || body.state === "failed" ? body : undefined;
      },
      60_000,
    );
    expect(job.error).toBeUndefined();
    const url = (job.results as Record<string, { url: string }>)["mask.png"].url;
    const mask = new Uint8Array(await (await fetch(url)).arrayBuffer());
    return { status: 202, job, mask, policy: job.policy as { source: string; version: string } };
  };

  /** Tenant B's answers for every built-in task and for "discs". */
  const tenantBView = async () => {
    const masks: Record<string, string> = {};
    for (const { task, className } of BUILTIN) {
      const r = await segment(B, task, className);
      expect(r.policy).toEqual({ source: "bundled", task, version: `bundled:${task}` });
      masks[task] = Buffer.from(r.mask!).toString("base64");
    }
    const own = await segment(B, TASK);
    return { masks, discs: `${own.status} ${own.code}` };
  };

  const train = async (dataset: string, extra: Record<string, unknown> = {}) => {
    const { status, body } = await json(A, `/v1/tasks/${TASK}/trainings`, {
      method: "POST",
      body: JSON.stringify({ dataset, options: OPTIONS, promote: "manual", ...extra }),
    });
    expect(status, JSON.stringify(body)).toBe(202);
    return body.jobId as string;
  };

  /** Poll the training view until it ends, keeping every snapshot seen while it ran. */
  const follow = async (jobId: string, onRunning?: (v: TrainingView) => Promise<void> | void) => {
    const seen: TrainingView[] = [];
    const done = await waitFor(
      `training ${jobId}`,
      async () => {
        const { body } = await json(A, `/v1/tasks/${TASK}/trainings/${jobId}`);
        const view = body as unknown as TrainingView;
        if (view.state === "running") {
          seen.push(view);
          await onRunning?.(view);
        }
        return view.state === "succeeded" || view.state === "failed" ? view : undefined;
      },
      180_000,
    );
    return { done, seen };
  };

  let before: Awaited<ReturnType<typeof tenantBView>>;
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    for (const [tenant, quota] of [
      [A, 10_000],
      [B, null],
    ] as const) {
      const { secret, hash, id } = mintApiKey();
      const record = ApiKeyRecordSchema.parse({
        v: 1,
        id,
        name: `e2e ${tenant}`,
        tenant,
        quota,
        createdAt: new Date().toISOString(),
        revokedAt: null,
      });
      await e2e.c.put(apiKeyRecordKey(hash), JSON.stringify(record));
      keys[tenant] = `Bearer ${secret}`;
    }
    // 64 x 64 bright discs on noise, at varied places and sizes.
    const put = async (dataset: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const f = await sceneFixture({
          width: 64,
          height: 64,
          cx: 0.3 + 0.4 * ((i * 7) % 10) * 0.1,
          cy: 0.3 + 0.4 * ((i * 3) % 10) * 0.1,
          r: 0.18 + 0.02 * (i % 5),
          seed: i + 1,
        });
        await e2e.c.put(`${datasetPrefix(A, dataset)}images/d${i}.png`, f.image);
        await e2e.c.put(`${datasetPrefix(A, dataset)}masks/d${i}.png`, f.mask);
      }
    };
    await put("discs-50", 50);
    await put("discs-4", 4);
    scene = (await sceneFixture({ width: 96, height: 72, seed: 99 })).image;
    before = await tenantBView();
  }, 240_000);

  it("defines a task for tenant A only; built-in names are refused", async () => {
    const made = await json(A, "/v1/tasks", {
      method: "POST",
      body: JSON.stringify({ name: TASK, branch: "implicit", texts: ["bright disc"] }),
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: TASK, own: true, branch: "implicit" });
    const builtin = await json(A, "/v1/tasks", {
      method: "POST",
      body: JSON.stringify({ name: "saliency", branch: "implicit" }),
    });
    expect(builtin.status).toBe(409);
    expect((builtin.body.error as { code: string }).code).toBe("TASK_EXISTS");
    const listA = (await json(A, "/v1/tasks")).body.tasks as Array<{ name: string; own: boolean }>;
    expect(listA.find((t) => t.name === TASK)?.own).toBe(true);
    expect(listA.filter((t) => !t.own).map((t) => t.name)).toEqual(BUILTIN.map((b) => b.task));
    const listB = (await json(B, "/v1/tasks")).body.tasks as Array<{ name: string }>;
    expect(listB.map((t) => t.name)).not.toContain(TASK);
    expect(before.discs).toBe("400 UNKNOWN_TASK");
  });

  it("trains on 50 pairs with live progress and reports against the guard's held-out images", async () => {
    v1 = await train("discs-50");
    const { done, seen } = await follow(v1);
    expect(done.state).toBe("succeeded");
    expect(seen.some((v) => v.progress !== null)).toBe(true);
    expect(done.progress).toMatchObject({ phase: "done", etaSeconds: 0 });
    expect(done.progress!.episodesTotal).toBeGreaterThan(0);
    expect(done.progress!.episodesDone).toBe(done.progress!.episodesTotal);
    expect(typeof done.progress!.reward).toBe("number");
    expect(typeof done.progress!.srmLoss).toBe("number");
    const report = done.report!;
    expect(report).toMatchObject({
      trainImages: 30,
      heldOutImages: 20,
      previousSource: "none",
      promotable: true,
      promoted: false,
    });
    expect(report.candidateScore).toMatchObject({ metric: "mIoU", images: 20 });
    expect(typeof report.baselines.srmMapOutOfFoldIou).toBe("number");
    expect(typeof report.baselines.finalMeanReward).toBe("number");
  }, 200_000);

  it("refuses to promote a 4-image run, naming the minimum", async () => {
    const small = await train("discs-4");
    const { done } = await follow(small);
    expect(done.state).toBe("succeeded");
    expect(done.report).toMatchObject({ promotable: false, promoted: false, heldOutImages: 1 });
    expect(done.report!.reason).toMatch(/at least 20/);
    const refused = await json(A, `/v1/tasks/${TASK}/policies/${small}/promote`, { method: "POST" });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "PROMOTION_REFUSED" });
    expect((refused.body.error as { message: string }).message).toMatch(/at least 20/);
  }, 120_000);

  it("finishes a run whose worker is SIGKILLed mid-training, billed once with its minutes", async () => {
    v2 = await train("discs-50", { options: { ...OPTIONS, seed: 1 } });
    let killedPid: number | undefined;
    const { done } = await follow(v2, (view) => {
      if (
        killedPid !== undefined ||
        !view.progress ||
        view.progress.phase === "loading" ||
        view.attempts !== 1
      )
        return;
      const live = e2e.stack.workers.find((w) => w.child.exitCode === null && w.child.signalCode === null);
      killedPid = live?.child.pid;
      live?.child.kill("SIGKILL");
    });
    expect(killedPid).toBeDefined();
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.report).toMatchObject({ promotable: true, previousSource: "none" });
    const records = (await e2e.c.list(usagePrefix(A))).filter((k) => k.includes(`/${v2}/`));
    expect(records.map((k) => k.split("/").pop())).toEqual(["train.json"]);
    const usage = (await json(A, "/v1/usage")).body as {
      byKind: { train: { records: number; jobs: number; images: number } };
      trainingMinutes: number;
      quota: { used: number };
    };
    expect(usage.byKind.train).toMatchObject({ records: 3, jobs: 3, images: 104 });
    expect(usage.trainingMinutes).toBeGreaterThan(0);
    expect(usage.quota.used).toBeGreaterThanOrEqual(104);
  }, 240_000);

  it("promotes, serves, promotes again and rolls back; each job names the version that served it", async () => {
    const p1 = await json(A, `/v1/tasks/${TASK}/policies/${v1}/promote`, { method: "POST" });
    expect(p1.status).toBe(200);
    expect(p1.body.serving).toEqual({ source: "tenant", version: v1 });
    const first = await segment(A, TASK);
    expect(first.policy).toEqual({ source: "tenant", task: TASK, version: v1 });
    await json(A, `/v1/tasks/${TASK}/policies/${v2}/promote`, { method: "POST" });
    expect((await segment(A, TASK)).policy?.version).toBe(v2);
    const back = await json(A, `/v1/tasks/${TASK}/rollback`, { method: "POST" });
    expect(back.body.serving).toEqual({ source: "tenant", version: v1 });
    const again = await segment(A, TASK);
    expect(again.policy).toEqual({ source: "tenant", task: TASK, version: v1 });
    expect(Buffer.from(again.mask!).equals(Buffer.from(first.mask!))).toBe(true);
    const listing = (await json(A, `/v1/tasks/${TASK}/policies`)).body as {
      versions: Array<{ version: string; current: boolean; madeBy: { dataset: string } | null }>;
    };
    expect(listing.versions.filter((v) => v.current).map((v) => v.version)).toEqual([v1]);
    expect(listing.versions.find((v) => v.version === v1)?.madeBy?.dataset).toBe("discs-50");
  }, 120_000);

  it("leaves tenant B's masks for every built-in task and its view of the name unchanged", async () => {
    const after = await tenantBView();
    expect(after).toEqual(before);
    const bPolicies = (await json(B, "/v1/tasks/saliency/policies")).body;
    expect(bPolicies).toMatchObject({ serving: { source: "bundled" }, versions: [] });
  }, 120_000);
});
