import {
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationPrefix,
  jobResultKey,
  jobStatusKey,
  queuedStatus,
} from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";

interface ListBody {
  evaluations: Array<{
    evaluationId: string;
    task: string;
    state: string;
    images: number;
    createdAt: string;
    statusUrl: string;
    reports: Record<string, { url: string }>;
  }>;
}

describe("recent evaluations and results through the API", () => {
  const t = useTestApp();
  const put = (key: string, body: string | Uint8Array, type = "application/json") =>
    t.stack.put(key, body, type);

  async function putEvaluation(id: string, createdAt: string, extra: string[] = []) {
    const manifest = EvaluationManifestSchema.parse({
      v: 1,
      evalId: id,
      jobId: id,
      task: "blur",
      datasetId: "set",
      shards: [{ index: 0, items: [{ id: "a", image: "a.png", mask: "a.png" }] }],
      createdAt,
    });
    await put(evaluationManifestKey("public", id), JSON.stringify(manifest));
    const status = queuedStatus({ jobId: id, kind: "evaluation", now: new Date(createdAt) });
    await put(jobStatusKey("public", id), JSON.stringify(status));
    for (const name of extra) await put(`${evaluationPrefix("public", id)}${name}`, "x", "text/html");
  }

  it("lists evaluations newest first, with links to the reports present", async () => {
    await putEvaluation("e-old", "2026-01-01T00:00:00.000Z");
    await putEvaluation("e-new", "2026-03-01T00:00:00.000Z", ["report.html", "summary.json"]);
    await putEvaluation("e-mid", "2026-02-01T00:00:00.000Z", ["report.md"]);
    const res = await t.app.request("/v1/evaluations");
    expect(res.status).toBe(200);
    const body = (await res.json()) as ListBody;
    expect(body.evaluations.map((e) => e.evaluationId)).toEqual(["e-new", "e-mid", "e-old"]);
    const [newest, mid, old] = body.evaluations;
    expect(Object.keys(newest.reports).sort()).toEqual(["report.html", "summary.json"]);
    expect(newest.reports["report.html"].url).toContain("report.html");
    expect(Object.keys(mid.reports)).toEqual(["report.md"]);
    expect(old.reports).toEqual({});
    expect(newest).toMatchObject({ task: "blur", state: "queued", images: 1 });
    expect(newest.statusUrl).toBe("http://api.test/v1/evaluations/e-new");
  });

  it("honours limit and refuses a bad one", async () => {
    await putEvaluation("a1", "2026-01-01T00:00:00.000Z");
    await putEvaluation("a2", "2026-01-02T00:00:00.000Z");
    const body = (await (await t.app.request("/v1/evaluations?limit=1")).json()) as ListBody;
    expect(body.evaluations.map((e) => e.evaluationId)).toEqual(["a2"]);
    expect((await t.app.request("/v1/evaluations?limit=0")).status).toBe(400);
  });

  it("answers an empty list when there are none", async () => {
    expect(await (await t.app.request("/v1/evaluations")).json()).toEqual({ evaluations: [] });
  });

  it("serves a job's result with its stored type, and 404s name what is missing", async () => {
    await put(jobStatusKey("public", "j1"), JSON.stringify(queuedStatus({ jobId: "j1", kind: "segment" })));
    await put(jobResultKey("public", "j1", "steps.json"), '{"v":1}');
    const ok = await t.app.request("/v1/jobs/j1/results/steps.json");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/json");
    expect(await ok.text()).toBe('{"v":1}');
    const missing = await t.app.request("/v1/jobs/j1/results/mask.png");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /no result "mask.png"/,
    );
    const noJob = await t.app.request("/v1/jobs/nope/results/mask.png");
    expect(((await noJob.json()) as { error: { message: string } }).error.message).toBe('no job "nope"');
    expect((await t.app.request("/v1/jobs/j1/results/a..b")).status).toBe(400);
  });
});
