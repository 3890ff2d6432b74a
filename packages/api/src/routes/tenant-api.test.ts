import { signedHeaders, TrainMessageSchema, webhookSecretKey } from "@alignsam/core/light";
import { beforeEach, describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { putTestKey, type TestKey } from "../testing/keys.ts";

const NOW = new Date("2026-03-04T05:06:07Z");

describe("tenant tasks, trainings and webhook secrets", () => {
  const t = useTestApp({}, { clock: () => NOW });
  let a: TestKey;
  let b: TestKey;
  let tight: TestKey;

  beforeEach(async () => {
    a = await putTestKey(t.stack, { tenant: "acme" });
    b = await putTestKey(t.stack, { tenant: "bolt" });
    tight = await putTestKey(t.stack, { tenant: "tiny", quota: 3 });
    for (const tenant of ["acme", "tiny"]) {
      for (const id of ["p1", "p2", "p3", "p4"]) {
        for (const [folder, ext] of [
          ["images", "png"],
          ["masks", "png"],
        ]) {
          const Key = `tenants/${tenant}/datasets/set/${folder}/${id}.${ext}`;
          await t.stack.put(Key, "x");
        }
      }
    }
  });

  const call = (
    key: TestKey,
    path: string,
    method = "GET",
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    t.app.request(path, {
      method,
      headers: {
        authorization: key.bearer,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string } }).error;

  it("defines a task for one tenant only, refusing built-in names, duplicates and bad names", async () => {
    const made = await call(a, "/v1/tasks", "POST", { name: "rust", branch: "explicit", texts: ["rust"] });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ name: "rust", own: true, texts: ["rust"], metrics: ["mIoU"] });
    expect(
      (await errorOf(await call(a, "/v1/tasks", "POST", { name: "rust", branch: "implicit" }))).code,
    ).toBe("TASK_EXISTS");
    expect(
      (await errorOf(await call(a, "/v1/tasks", "POST", { name: "blur", branch: "implicit" }))).code,
    ).toBe("TASK_EXISTS");
    const bad = await call(a, "/v1/tasks", "POST", { name: "../Rust", branch: "implicit" });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("INVALID_REQUEST");
    const own = async (t: TestKey) => {
      const j = (await (await call(t, "/v1/tasks")).json()) as {
        tasks: Array<{ name: string; own: boolean }>;
      };
      return j.tasks.filter((x) => x.own).map((x) => x.name);
    };
    expect(await own(a)).toEqual(["rust"]);
    expect(await own(b)).toEqual([]);
    // Another tenant cannot train (or segment) a task it never defined.
    const other = await call(b, "/v1/tasks/rust/trainings", "POST", { dataset: "set" });
    expect((await errorOf(other)).code).toBe("UNKNOWN_TASK");
  });

  it("accepts a bounded training of the tenant's own task, carrying its definition and tenant", async () => {
    await call(a, "/v1/tasks", "POST", { name: "rust", branch: "implicit" });
    const tooMuch = await call(a, "/v1/tasks/rust/trainings", "POST", {
      dataset: "set",
      options: { episodes: 51 },
    });
    expect(tooMuch.status).toBe(400);
    const missing = await call(a, "/v1/tasks/rust/trainings", "POST", { dataset: "nope" });
    expect((await errorOf(missing)).code).toBe("DATASET_NOT_FOUND");
    const res = await call(a, "/v1/tasks/rust/trainings", "POST", {
      dataset: "set",
      options: { episodes: 2, steps: 3 },
      promote: "manual",
    });
    expect(res.status).toBe(202);
    const { jobId, trainingUrl } = (await res.json()) as { jobId: string; trainingUrl: string };
    expect(trainingUrl).toContain(`/v1/tasks/rust/trainings/${jobId}`);
    const [message] = (await t.stack.drainMessages()).map((m) => TrainMessageSchema.parse(m));
    expect(message).toMatchObject({
      jobId,
      tenant: "acme",
      task: "rust",
      datasetId: "set",
      promote: "manual",
      taskDefinition: { name: "rust", branch: "implicit" },
      options: { episodes: 2, steps: 3, seed: 0 },
    });
    const view = await call(a, `/v1/tasks/rust/trainings/${jobId}`);
    expect(await view.json()).toMatchObject({ state: "queued", progress: null, report: null });
    // The job is the tenant's: another tenant's view of it is a 404.
    expect((await call(b, `/v1/tasks/rust/trainings/${jobId}`)).status).toBe(404);
  });

  it("counts a training against the image quota as its labelled pairs", async () => {
    const res = await call(tight, "/v1/tasks/saliency/trainings", "POST", { dataset: "set" });
    expect(res.status).toBe(402);
    expect(await errorOf(res)).toMatchObject({ code: "QUOTA_EXCEEDED" });
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("verifies a tenant-signed webhook with that tenant's secret, for its datasets only, until rotated", async () => {
    const made = await call(a, "/v1/webhook-secret", "POST");
    expect(made.status).toBe(201);
    const { secret, tenantHeader } = (await made.json()) as { secret: string; tenantHeader: string };
    expect(await t.stack.allKeys()).toContain(webhookSecretKey("acme"));
    const body = JSON.stringify({ task: "saliency", dataset: "tenants/acme/datasets/set/" });
    const send = (raw: string, signWith: string, tenant: string, seconds = 0) =>
      t.app.request("/v1/webhooks/retrain", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [tenantHeader]: tenant,
          ...signedHeaders(signWith, raw, new Date(NOW.getTime() - seconds * 1000)),
        },
        body: raw,
      });
    const ok = await send(body, secret, "acme");
    expect(ok.status).toBe(202);
    const [message] = (await t.stack.drainMessages()).map((m) => TrainMessageSchema.parse(m));
    expect(message).toMatchObject({ tenant: "acme", task: "saliency", promote: "auto" });
    // Its secret cannot train another tenant's dataset, nor be used in another tenant's name.
    const foreign = JSON.stringify({ task: "saliency", dataset: "tenants/tiny/datasets/set/" });
    expect((await send(foreign, secret, "acme", 1)).status).toBe(400);
    expect((await send(body, secret, "bolt", 2)).status).toBe(401);
    // Rotating replaces it at once.
    await call(a, "/v1/webhook-secret", "POST");
    const stale = await send(body, secret, "acme", 3);
    expect(stale.status).toBe(401);
    expect((await errorOf(stale)).code).toBe("SIGNATURE_INVALID");
  });
});
