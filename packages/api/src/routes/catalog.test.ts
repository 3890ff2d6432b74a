import {
  defaultTaskRegistry,
  JobStatusSchema,
  jobStatusKey,
  tenantPolicyCurrentKey,
  tenantPolicyFileKey,
} from "@alignsam/core/light";
import { describe, expect, it, vi } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { makeImage } from "../testing/images.ts";

describe("catalog routes, errors and request ids", () => {
  const t = useTestApp();

  it("runs under the project's Node 24", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
  });

  it("lists the registry's tasks and answers the health probe", async () => {
    const tasks = (await (await t.app.request("/v1/tasks")).json()) as {
      tasks: Array<{ name: string; classPrompted: boolean }>;
    };
    expect(tasks.tasks.map((t) => t.name)).toEqual(defaultTaskRegistry.names());
    expect(tasks.tasks.find((t) => t.name === "voc")?.classPrompted).toBe(true);
    const health = await t.app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
  });

  it("serves an OpenAPI document describing every route and the error envelope", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    // Bearer keys on every /v1 route but the signed webhook; health is open.
    const ops = doc.paths as unknown as Record<string, Record<string, { security?: unknown }>>;
    expect(
      (doc.components as { securitySchemes?: Record<string, unknown> }).securitySchemes?.apiKey,
    ).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(ops["/v1/segment"].post.security).toEqual([{ apiKey: [] }]);
    expect(ops["/v1/jobs/{id}"].get.security).toEqual([{ apiKey: [] }]);
    expect(ops["/healthz"].get.security).toBeUndefined();
    expect(ops["/v1/webhooks/retrain"].post.security).toBeUndefined();
    // Every operation by method and path: a route added without its OpenAPI entry shows up here.
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /healthz",
        "POST /v1/batches",
        "GET /v1/batches/{id}",
        "GET /v1/batches/{id}/images/{imageId}",
        "GET /v1/datasets",
        "POST /v1/datasets",
        "POST /v1/datasets/uploads",
        "GET /v1/datasets/{id}",
        "GET /v1/evaluations",
        "POST /v1/evaluations",
        "GET /v1/evaluations/{id}",
        "GET /v1/jobs/{id}",
        "GET /v1/jobs/{id}/results/{name}",
        "GET /v1/policies/{task}",
        "GET /v1/tasks/{task}/policies",
        "POST /v1/tasks/{task}/policies/{version}/promote",
        "POST /v1/tasks/{task}/rollback",
        "POST /v1/tasks/{task}/trainings",
        "GET /v1/tasks/{task}/trainings/{id}",
        "POST /v1/webhook-secret",
        "POST /v1/segment",
        "GET /v1/tasks",
        "POST /v1/tasks",
        "POST /v1/uploads",
        "PUT /v1/uploads/{uploadId}",
        "GET /v1/usage",
        "POST /v1/webhooks/retrain",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/v1/segment"].post.responses).sort()).toEqual([
      "202",
      "400",
      "401",
      "402",
      "404",
      "413",
      "415",
      "429",
      "503",
    ]);
    expect(doc.components.schemas).toHaveProperty("Error");
    expect(doc.components.schemas).toHaveProperty("SegmentFormRequest");
    // The job view documents the callback outcome; numeric form fields are integers.
    const schemas = doc.components.schemas as Record<
      string,
      { properties: Record<string, { type?: string; properties?: Record<string, unknown> }> }
    >;
    expect(Object.keys(schemas.Job.properties.callback.properties ?? {}).sort()).toEqual(
      ["at", "attempts", "delivered", "lastError", "lastStatus"].sort(),
    );
    expect(schemas.SegmentFormRequest.properties.steps.type).toBe("integer");
  });

  it("echoes a caller's request id, mints one otherwise, and answers unknown routes with the JSON envelope", async () => {
    const res = await t.app.request("/v1/nothing", { headers: { "x-request-id": "trace-123" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    expect(await res.json()).toEqual({
      error: { code: "NOT_FOUND", message: "no route GET /v1/nothing", requestId: "trace-123" },
    });
    const minted = await t.app.request("/healthz");
    expect(minted.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lists the caller's policy versions of a task, marking the serving one (bundled when none)", async () => {
    await t.stack.put(tenantPolicyFileKey("public", "shadow", "v1", "card.json"), "{}");
    await t.stack.put(tenantPolicyFileKey("public", "shadow", "v2", "card.json"), "{}");
    await t.stack.put(tenantPolicyFileKey("other", "blur", "x1", "card.json"), "{}");
    const at = new Date().toISOString();
    await t.stack.put(
      tenantPolicyCurrentKey("public", "shadow"),
      JSON.stringify({
        v: 1,
        task: "shadow",
        current: { version: "v2", promotedAt: at, by: "promote" },
        history: [],
      }),
    );
    const res = await t.app.request("/v1/tasks/shadow/policies");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      task: "shadow",
      serving: { source: "tenant", version: "v2" },
      versions: [
        { version: "v1", current: false },
        { version: "v2", current: true },
      ],
    });
    // Another tenant's versions are not the caller's.
    const none = await t.app.request("/v1/policies/blur");
    expect(await none.json()).toMatchObject({
      serving: { source: "bundled", version: "bundled:blur" },
      versions: [],
    });
    const unknown = await t.app.request("/v1/policies/sky");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("UNKNOWN_TASK");
    const rollback = await t.app.request("/v1/tasks/shadow/rollback", { method: "POST" });
    expect(await rollback.json()).toMatchObject({ serving: { source: "bundled" } });
  });

  it("answers 503 when the queue refuses the job, leaving its status failed rather than queued", async () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = t.variant(
      { queueUrl: `${t.stack.server.address}/000000000000/no-such-queue` },
      {
        newId: (() => {
          let n = 0;
          return () => `id-${++n}`;
        })(),
      },
    );
    const f = new FormData();
    f.set("image", new File([await makeImage("png")], "a.png"));
    f.set("task", "shadow");
    const res = await broken.request("/v1/segment", { method: "POST", body: f });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("QUEUE_UNAVAILABLE");
    const status = JobStatusSchema.parse(await t.stack.getJson(jobStatusKey("public", "id-2")));
    expect(status).toMatchObject({ state: "failed", error: { code: "QUEUE_UNAVAILABLE" } });
    expect(quiet).toHaveBeenCalledOnce();
    quiet.mockRestore();
  });
});
