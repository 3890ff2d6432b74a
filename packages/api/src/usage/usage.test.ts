import {
  JobStatusSchema,
  jobStatusKey,
  reservationsPrefix,
  type UsageRecord,
  UsageRecordSchema,
  type UsageUnit,
  usageDay,
  usageRecordKey,
} from "@alignsam/core/light";
import { describe, expect, it, vi } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { makeImage } from "../testing/images.ts";
import { putTestKey } from "../testing/keys.ts";
import { STATUS_RECHECK_AFTER_MS } from "./quota.ts";

describe("metering and quotas", () => {
  const t = useTestApp({ anonymousTenant: undefined, keyCacheSeconds: 0 });

  /** A usage record as the worker writes it. */
  async function meter(tenant: string, jobId: string, unit: UsageUnit, fields: Partial<UsageRecord> = {}) {
    const acceptedAt = fields.acceptedAt ?? "2026-03-01T10:00:00.000Z";
    const record = UsageRecordSchema.parse({
      v: 1,
      tenant,
      jobId,
      kind: unit.kind,
      ...(unit.kind === "evaluation-image" ? { imageId: unit.imageId } : {}),
      task: "saliency",
      images: 1,
      steps: 15,
      modelSeconds: 0.25,
      acceptedAt,
      meteredAt: acceptedAt,
      ...fields,
    });
    await t.stack.put(usageRecordKey(tenant, usageDay(acceptedAt), jobId, unit), record);
  }

  async function statusOf(tenant: string, jobId: string) {
    return JobStatusSchema.parse(await t.stack.getJson(jobStatusKey(tenant, jobId)));
  }

  /** The worker finishing a job: its terminal status. */
  async function finish(tenant: string, jobId: string, state: "succeeded" | "failed") {
    await t.stack.put(jobStatusKey(tenant, jobId), { ...(await statusOf(tenant, jobId)), state });
  }

  async function segment(bearer: string, on = t.app) {
    const form = new FormData();
    form.set("image", new File([await makeImage("png")], "a.png", { type: "image/png" }));
    form.set("task", "saliency");
    return on.request("/v1/segment", { method: "POST", body: form, headers: { authorization: bearer } });
  }

  it("sums the caller's records in [from, to) by kind, and nobody else's", async () => {
    const key = await putTestKey(t.stack, { tenant: "acme" });
    await meter("acme", "s1", { kind: "segment" }, { steps: 10, modelSeconds: 0.5 });
    await meter(
      "acme",
      "s2",
      { kind: "segment" },
      { steps: 12, modelSeconds: 0.25, acceptedAt: "2026-03-02T23:59:59.000Z" },
    );
    await meter("acme", "e1", { kind: "evaluation-image", imageId: "a" }, { steps: 15 });
    await meter("acme", "e1", { kind: "evaluation-image", imageId: "b" }, { steps: 15 });
    await meter("acme", "t1", { kind: "train" }, { images: 40, steps: 3000, modelSeconds: 90 });
    await meter("acme", "late", { kind: "segment" }, { acceptedAt: "2026-03-03T00:00:00.000Z" });
    await meter("acme", "early", { kind: "segment" }, { acceptedAt: "2026-02-28T23:59:59.000Z" });
    await meter("other", "x", { kind: "segment" });

    const res = await t.app.request("/v1/usage?from=2026-03-01&to=2026-03-03", {
      headers: { authorization: key.bearer },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      tenant: "acme",
      keyId: key.record.id,
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-03T00:00:00.000Z",
      totals: { records: 5, jobs: 4, images: 44, steps: 3052, modelSeconds: 91.25 },
      byKind: {
        segment: { records: 2, jobs: 2, images: 2, steps: 22, modelSeconds: 0.75 },
        "evaluation-image": { records: 2, jobs: 1, images: 2, steps: 30, modelSeconds: 0.5 },
        train: { records: 1, jobs: 1, images: 40, steps: 3000, modelSeconds: 90 },
      },
      quota: null,
    });
  });

  it("validates the range", async () => {
    const key = await putTestKey(t.stack, { tenant: "acme" });
    const get = (q: string) => t.app.request(`/v1/usage?${q}`, { headers: { authorization: key.bearer } });
    expect((await get("from=yesterday")).status).toBe(400);
    expect((await get("from=2026-03-05&to=2026-03-01")).status).toBe(400);
    expect((await get("from=2020-01-01&to=2026-01-01")).status).toBe(400);
    expect((await get("from=2026-03-01T12:00:00Z")).status).toBe(200);
  });

  it("refuses work past the quota with 402, counting accepted-but-unmetered jobs, and writes nothing", async () => {
    const key = await putTestKey(t.stack, { tenant: "metered", quota: 2 });
    const first = await segment(key.bearer);
    const second = await segment(key.bearer);
    expect([first.status, second.status]).toEqual([202, 202]);
    const [job1, job2] = await Promise.all([first.json(), second.json()]).then((b) =>
      (b as Array<{ jobId: string }>).map((j) => j.jobId),
    );

    // Neither job is metered yet: their reservations alone exhaust the quota.
    const before = await t.stack.allKeys();
    const refused = await segment(key.bearer);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { used: 2, quota: 2, requested: 1 } },
    });
    expect(await t.stack.allKeys()).toEqual(before);

    // The worker meters job 1 and finishes it; job 2 fails unmetered, which frees its image once
    // the API looks at its status (for reservations older than STATUS_RECHECK_AFTER_MS).
    // (dated, as the worker dates it, by the job's acceptance: where settling looks for it)
    await meter(
      "metered",
      job1,
      { kind: "segment" },
      { acceptedAt: (await statusOf("metered", job1)).createdAt },
    );
    await finish("metered", job1, "succeeded");
    await finish("metered", job2, "failed");
    expect((await segment(key.bearer)).status).toBe(402);
    const later = () => new Date(Date.now() + STATUS_RECHECK_AFTER_MS + 1000);
    const app = t.variant({}, { clock: later });
    const usage = await app.request("/v1/usage", { headers: { authorization: key.bearer } });
    expect(((await usage.json()) as { quota: unknown }).quota).toEqual({ limit: 2, used: 1, remaining: 1 });
    expect((await t.stack.allKeys()).filter((k) => k.startsWith(reservationsPrefix("metered")))).toEqual([]);
    expect((await segment(key.bearer, app)).status).toBe(202);
    expect((await segment(key.bearer, app)).status).toBe(402);
  });

  it("gives the quota back when the queue refuses an admitted segment or evaluation", async () => {
    const key = await putTestKey(t.stack, { tenant: "lost", quota: 2 });
    for (const n of ["a", "b"]) {
      await t.stack.put(`tenants/lost/datasets/set/images/${n}.png`, "x");
      await t.stack.put(`tenants/lost/datasets/set/masks/${n}.png`, "x");
    }
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const queueless = t.variant({ queueUrl: `${t.stack.server.address}/000000000000/no-such-queue` });
    const headers = { authorization: key.bearer, "content-type": "application/json" };
    const evaluation = () =>
      queueless.request("/v1/evaluations", {
        method: "POST",
        headers,
        body: JSON.stringify({ task: "saliency", dataset: "tenants/lost/datasets/set/" }),
      });
    const form = new FormData();
    form.set("image", new File([await makeImage("png")], "a.png", { type: "image/png" }));
    form.set("task", "saliency");
    const segmentation = () =>
      queueless.request("/v1/segment", {
        method: "POST",
        body: form,
        headers: { authorization: key.bearer },
      });
    // Each would exhaust the quota if its hold were kept.
    for (const attempt of [evaluation, segmentation, evaluation]) expect((await attempt()).status).toBe(503);
    quiet.mockRestore();
    expect((await t.stack.allKeys()).filter((k) => k.startsWith(reservationsPrefix("lost")))).toEqual([]);
    const usage = await t.app.request("/v1/usage", { headers: { authorization: key.bearer } });
    expect(((await usage.json()) as { quota: unknown }).quota).toEqual({ limit: 2, used: 0, remaining: 2 });
  });

  it("refuses an evaluation larger than what is left of the quota", async () => {
    const key = await putTestKey(t.stack, { tenant: "evals", quota: 3 });
    for (const n of ["a", "b", "c", "d"]) {
      await t.stack.put(`tenants/evals/datasets/set/images/${n}.png`, "x");
      await t.stack.put(`tenants/evals/datasets/set/masks/${n}.png`, "x");
    }
    const before = await t.stack.allKeys();
    const res = await t.app.request("/v1/evaluations", {
      method: "POST",
      headers: { authorization: key.bearer, "content-type": "application/json" },
      body: JSON.stringify({ task: "saliency", dataset: "tenants/evals/datasets/set/" }),
    });
    expect(res.status).toBe(402);
    expect(await res.json()).toMatchObject({ error: { details: { used: 0, quota: 3, requested: 4 } } });
    expect(await t.stack.allKeys()).toEqual(before);
  });

  it("does not overshoot the quota under a burst of concurrent requests", async () => {
    const key = await putTestKey(t.stack, { tenant: "burst", quota: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => segment(key.bearer).then((r) => r.status)),
    );
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeLessThanOrEqual(3);
    expect(statuses.every((s) => s === 202 || s === 402)).toBe(true);
    const jobs = (await t.stack.allKeys()).filter((k) => /^tenants\/burst\/jobs\/.*\/status\.json$/.test(k));
    expect(jobs).toHaveLength(accepted);
  });
});
