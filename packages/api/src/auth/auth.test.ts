import { DEFAULT_TENANT } from "@alignsam/core/light";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiApp } from "../http/context.ts";
import { useTestApp } from "../testing/app.ts";
import { makeImage } from "../testing/images.ts";
import { putTestKey } from "../testing/keys.ts";

describe("API keys and tenancy", () => {
  /** Production-like: no anonymous tenant. */
  const t = useTestApp({ anonymousTenant: undefined, keyCacheSeconds: 0 });
  /** Local/dev-like: requests without a bearer act as "local". */
  let devApp: ApiApp;
  beforeAll(() => {
    devApp = t.variant({ anonymousTenant: "local" });
  });

  async function segment(target: typeof t.app, authorization?: string) {
    const form = new FormData();
    form.set("image", new File([await makeImage("png")], "a.png", { type: "image/png" }));
    form.set("task", "saliency");
    return target.request("/v1/segment", {
      method: "POST",
      body: form,
      headers: authorization ? { authorization } : {},
    });
  }

  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string } }).error;

  it("needs a bearer token when no anonymous tenant is configured, and writes nothing", async () => {
    const res = await segment(t.app);
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringContaining("Bearer"),
    });
    const basic = await t.app.request("/v1/tasks", { headers: { authorization: "Basic dXNlcjpwdw==" } });
    expect(basic.status).toBe(401);
    expect(await t.stack.allKeys()).toEqual([]);
    // Liveness, the OpenAPI document and the signed webhook do not take API keys.
    expect((await t.app.request("/healthz")).status).toBe(200);
    expect((await t.app.request("/openapi.json")).status).toBe(200);
    const hook = await t.app.request("/v1/webhooks/retrain", { method: "POST", body: "{}" });
    expect((await errorOf(hook)).code).toMatch(/^SIGNATURE_/);
  });

  it("refuses an unknown or revoked key with 401 even where anonymous requests are allowed", async () => {
    const revoked = await putTestKey(t.stack, { tenant: "gone", revokedAt: "2026-01-01T00:00:00.000Z" });
    const res = await segment(devApp, revoked.bearer);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toContain(`${revoked.record.id} was revoked`);
    const unknown = await segment(devApp, "Bearer asam_not-a-key");
    expect(unknown.status).toBe(401);
    expect((await errorOf(unknown)).message).toContain("unknown API key");
    expect((await t.stack.allKeys()).filter((k) => !k.startsWith("_system/"))).toEqual([]);
  });

  it("lets a request without a bearer act as the anonymous tenant in dev mode", async () => {
    const res = await segment(devApp);
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const keys = await t.stack.allKeys();
    expect(keys).toContain(`tenants/local/jobs/${jobId}/status.json`);
    expect(keys.every((k) => k.startsWith("tenants/local/"))).toBe(true);
    expect(keys.some((k) => k.startsWith(`tenants/${DEFAULT_TENANT}/`))).toBe(false);
  });

  it("keeps each key to its own tenant: another tenant's job or evaluation is a 404 like an unknown id", async () => {
    const a = await putTestKey(t.stack, { tenant: "tenant-a" });
    const b = await putTestKey(t.stack, { tenant: "tenant-b" });
    const res = await segment(t.app, a.bearer);
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const [message] = (await t.stack.drainMessages()) as Array<{ tenant: string; uploadId: string }>;
    expect(message.tenant).toBe("tenant-a");
    expect((await t.stack.allKeys()).filter((k) => k.startsWith("tenants/"))).toEqual(
      [`tenants/tenant-a/inputs/${message.uploadId}`, `tenants/tenant-a/jobs/${jobId}/status.json`].sort(),
    );

    const own = await t.app.request(`/v1/jobs/${jobId}`, { headers: { authorization: a.bearer } });
    expect(own.status).toBe(200);
    const other = await t.app.request(`/v1/jobs/${jobId}`, { headers: { authorization: b.bearer } });
    const unknown = await t.app.request("/v1/jobs/no-such-job", { headers: { authorization: b.bearer } });
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect((await errorOf(other)).code).toBe((await errorOf(unknown)).code);

    // An evaluation over tenant-a's own dataset; tenant-b neither sees it nor can name a-'s dataset.
    for (const n of ["x", "y"]) {
      for (const folder of ["images", "masks"]) {
        await t.stack.put(`tenants/tenant-a/datasets/set/${folder}/${n}.png`, "bytes");
      }
    }
    const post = (bearer: string) =>
      t.app.request("/v1/evaluations", {
        method: "POST",
        headers: { authorization: bearer, "content-type": "application/json" },
        body: JSON.stringify({ task: "saliency", dataset: "tenants/tenant-a/datasets/set/" }),
      });
    const evaluation = await post(a.bearer);
    expect(evaluation.status).toBe(202);
    const { evaluationId } = (await evaluation.json()) as { evaluationId: string };
    expect(
      (await t.app.request(`/v1/evaluations/${evaluationId}`, { headers: { authorization: a.bearer } }))
        .status,
    ).toBe(200);
    expect(
      (await t.app.request(`/v1/evaluations/${evaluationId}`, { headers: { authorization: b.bearer } }))
        .status,
    ).toBe(404);
    const foreign = await post(b.bearer);
    expect(foreign.status).toBe(400);
    expect((await errorOf(foreign)).message).toContain('another tenant than "tenant-b"');
  });

  it("answers 429 with Retry-After and the JSON envelope past the per-key rate limit", async () => {
    const limited = t.variant({ rateLimitPerMinute: 3 });
    const a = await putTestKey(t.stack, { tenant: "busy" });
    const b = await putTestKey(t.stack, { tenant: "quiet" });
    const get = (bearer: string) => limited.request("/v1/tasks", { headers: { authorization: bearer } });
    for (let i = 0; i < 3; i++) expect((await get(a.bearer)).status).toBe(200);
    const refused = await get(a.bearer);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(await errorOf(refused)).toMatchObject({ code: "RATE_LIMITED" });
    // Another key has its own budget.
    expect((await get(b.bearer)).status).toBe(200);
  });

  it("counts presigned-upload creation against the key's rate limit, refusing it past the limit", async () => {
    const limited = t.variant({ rateLimitPerMinute: 2 });
    const key = await putTestKey(t.stack, { tenant: "uploader" });
    const upload = () =>
      limited.request("/v1/uploads", {
        method: "POST",
        headers: { authorization: key.bearer, "content-type": "application/json" },
        body: JSON.stringify({ contentType: "image/png", contentLength: 100 }),
      });
    expect((await upload()).status).toBe(201);
    expect((await upload()).status).toBe(201);
    const refused = await upload();
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toMatchObject({ code: "RATE_LIMITED" });
    // The uploads spent the budget other routes draw on too.
    expect((await limited.request("/v1/tasks", { headers: { authorization: key.bearer } })).status).toBe(429);
  });
});
