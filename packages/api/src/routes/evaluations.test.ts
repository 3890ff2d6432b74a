import {
  EvalShardMessageSchema,
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationReportKey,
  evaluationShardDoneKey,
  evaluationSummaryKey,
} from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";

describe("evaluations", () => {
  const t = useTestApp({ evaluationShardSize: 2 });

  /** A labelled set: 5 pairs, one image without mask, one mask without image. */
  async function seedDataset(id: string) {
    const prefix = `tenants/public/datasets/${id}/`;
    for (const n of ["a", "b", "c", "d", "e"]) {
      await t.stack.put(`${prefix}images/${n}.jpg`, "jpeg bytes");
      await t.stack.put(`${prefix}masks/${n}.png`, "png bytes");
    }
    await t.stack.put(`${prefix}images/lonely.png`, "x");
    await t.stack.put(`${prefix}masks/orphan.png`, "x");
    return prefix;
  }

  function post(body: unknown) {
    return t.app.request("/v1/evaluations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it("pairs images with masks, writes the manifest and fans out one message per shard", async () => {
    const prefix = await seedDataset("shadow-val");
    await t.stack.put("tenants/public/policies/shadow/v3/card.json", "{}"); // a named version must exist
    const res = await post({
      dataset: `s3://${t.stack.config.bucket}/${prefix}`,
      task: "shadow",
      policyVersion: "v3",
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      evaluationId: string;
      images: number;
      shards: number;
      unpaired: string[];
    };
    expect(body).toMatchObject({ images: 5, shards: 3 });
    expect(body.unpaired.sort()).toEqual(["images/lonely.png", "masks/orphan.png"]);

    const messages = (await t.stack.drainMessages()).map((m) => EvalShardMessageSchema.parse(m));
    expect(messages.map((m) => m.shard).sort()).toEqual([0, 1, 2]);
    expect(new Set(messages.map((m) => m.evalId))).toEqual(new Set([body.evaluationId]));

    const got = await t.app.request(`/v1/evaluations/${body.evaluationId}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      state: "queued",
      images: 5,
      shards: { done: 0, total: 3 },
      reports: {},
    });
    const keys = await t.stack.allKeys();
    expect(keys).toContain(evaluationManifestKey("public", body.evaluationId));
    const manifest = EvaluationManifestSchema.parse(
      await t.stack.getJson(evaluationManifestKey("public", body.evaluationId)),
    );
    expect(manifest.shards.map((s) => s.items.map((i) => i.id))).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(manifest).toMatchObject({ datasetId: "shadow-val", policyVersion: "v3", task: "shadow" });
  });

  it("reports shards done, the summary and report URLs as the workers write them", async () => {
    const prefix = await seedDataset("blur-val");
    const { evaluationId: id } = (await (await post({ dataset: prefix, task: "blur" })).json()) as {
      evaluationId: string;
    };
    await t.stack.put(evaluationShardDoneKey("public", id, 0), "{}");
    await t.stack.put(evaluationShardDoneKey("public", id, 2), "{}");
    const view = (await (await t.app.request(`/v1/evaluations/${id}`)).json()) as {
      shards: { done: number };
    };
    expect(view.shards.done).toBe(2);
    const summary = {
      v: 1,
      evalId: id,
      jobId: id,
      task: "blur",
      images: 5,
      failed: 0,
      metrics: { mIoU: 0.61 },
      createdAt: new Date().toISOString(),
    };
    await t.stack.put(evaluationSummaryKey("public", id), JSON.stringify(summary));
    await t.stack.put(evaluationReportKey("public", id), "# report");
    await t.stack.put(
      evaluationReportKey("public", id).replace(/report\.md$/, "report.html"),
      "<!doctype html>",
    );
    const full = (await (await t.app.request(`/v1/evaluations/${id}`)).json()) as {
      summary: { metrics: Record<string, number> };
      reports: Record<string, { url: string }>;
    };
    expect(full.summary.metrics.mIoU).toBe(0.61);
    expect(await (await fetch(full.reports["report.md"].url)).text()).toBe("# report");
    expect(await (await fetch(full.reports["report.html"].url)).text()).toBe("<!doctype html>");
  });

  it.each([
    "tenants/public/datasets/../jobs/",
    "tenants/public/datasets/x/../../y/",
    "tenants/other/datasets/x/",
    "tenants/public/inputs/x/",
    "s3://another-bucket/tenants/public/datasets/x/",
    "/etc/passwd",
    "tenants/public/datasets/%2e%2e/",
  ])("refuses the dataset prefix %s with 400 and writes nothing", async (dataset) => {
    const res = await post({ dataset, task: "shadow" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_ARGUMENT");
    expect(await t.stack.allKeys()).toEqual([]);
  });

  it("answers 404 for an empty dataset, 400 for an unknown task, 404 for an unknown evaluation", async () => {
    const empty = await post({ dataset: "tenants/public/datasets/nothing-here/", task: "shadow" });
    expect(empty.status).toBe(404);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("DATASET_NOT_FOUND");
    const unknown = await post({ dataset: "tenants/public/datasets/x/", task: "sky" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("UNKNOWN_TASK");
    expect((await t.app.request("/v1/evaluations/nope")).status).toBe(404);
  });
});
