import { evaluationShardDoneKey, JobStatusSchema, jobStatusKey } from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";

describe("evaluation progress", () => {
  const t = useTestApp({ evaluationShardSize: 2 });

  const json = async (path: string) => (await t.app.request(path)).json() as Promise<Record<string, unknown>>;

  /** What a worker does when it finishes a shard: the done marker (the status stays untouched). */
  const finishShard = (evalId: string, shard: number) =>
    t.stack.put(
      evaluationShardDoneKey("public", evalId, shard),
      JSON.stringify({ v: 1, evalId, shard, images: 2, failed: [], finishedAt: new Date().toISOString() }),
    );

  it("moves shards done / total on the job and the evaluation as shard markers appear", async () => {
    const prefix = "tenants/public/datasets/prog/";
    for (const n of ["a", "b", "c", "d", "e"]) {
      await t.stack.put(`${prefix}images/${n}.png`, "png");
      await t.stack.put(`${prefix}masks/${n}.png`, "png");
    }
    const res = await t.app.request("/v1/evaluations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ dataset: prefix, task: "shadow" }),
    });
    expect(res.status).toBe(202);
    const { evaluationId: id } = (await res.json()) as { evaluationId: string };
    await t.stack.drainMessages();
    expect((await json(`/v1/jobs/${id}`)).progress).toEqual({ done: 0, total: 3 });

    // A worker has taken the first shard (status running) and finished it, then another.
    const key = jobStatusKey("public", id);
    const queued = JobStatusSchema.parse(await t.stack.getJson(key));
    await t.stack.put(key, JSON.stringify({ ...queued, state: "running" }));
    await finishShard(id, 1);
    expect((await json(`/v1/jobs/${id}`)).progress).toEqual({ done: 1, total: 3 });
    expect((await json(`/v1/evaluations/${id}`)).shards).toEqual({ done: 1, total: 3 });
    await finishShard(id, 0);
    expect((await json(`/v1/jobs/${id}`)).progress).toEqual({ done: 2, total: 3 });
    expect((await json(`/v1/evaluations/${id}`)).shards).toEqual({ done: 2, total: 3 });

    // Once terminal, the status document's own progress is the answer.
    await t.stack.put(
      key,
      JSON.stringify({ ...queued, state: "succeeded", progress: { done: 3, total: 3 } }),
    );
    expect(await json(`/v1/jobs/${id}`)).toMatchObject({
      state: "succeeded",
      progress: { done: 3, total: 3 },
    });
  });
});
