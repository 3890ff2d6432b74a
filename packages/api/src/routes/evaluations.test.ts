import {
  EvalShardMessageSchema,
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationReportKey,
  evaluationShardDoneKey,
  evaluationSummaryKey,
} from "@alignsam/core/light";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { startTestStack, type TestStack } from "../testing/emulator.ts";

describe("evaluations", () => {
  let stack: TestStack;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    stack = await startTestStack({ evaluationShardSize: 2 });
    app = createApp({ s3: stack.s3, sqs: stack.sqs, config: stack.config });
  });
  afterAll(() => stack?.stop());
  beforeEach(() => stack.server.reset());

  async function put(key: string, body: string) {
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.config.bucket, Key: key, Body: body }));
  }

  /** A labelled set: 5 pairs, one image without mask, one mask without image. */
  async function seedDataset(id: string) {
    const prefix = `tenants/public/datasets/${id}/`;
    for (const n of ["a", "b", "c", "d", "e"]) {
      await put(`${prefix}images/${n}.jpg`, "jpeg bytes");
      await put(`${prefix}masks/${n}.png`, "png bytes");
    }
    await put(`${prefix}images/lonely.png`, "x");
    await put(`${prefix}masks/orphan.png`, "x");
    return prefix;
  }

  function post(body: unknown) {
    return app.request("/v1/evaluations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it("pairs images with masks, writes the manifest and fans out one message per shard", async () => {
    const prefix = await seedDataset("shadow-val");
    await put("tenants/public/policies/shadow/v3/card.json", "{}"); // a named version must exist
    const res = await post({
      dataset: `s3://${stack.config.bucket}/${prefix}`,
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

    const messages = (await stack.drainMessages()).map((m) => EvalShardMessageSchema.parse(m));
    expect(messages.map((m) => m.shard).sort()).toEqual([0, 1, 2]);
    expect(new Set(messages.map((m) => m.evalId))).toEqual(new Set([body.evaluationId]));

    const got = await app.request(`/v1/evaluations/${body.evaluationId}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      state: "queued",
      images: 5,
      shards: { done: 0, total: 3 },
      reports: {},
    });
    const keys = await stack.allKeys();
    expect(keys).toContain(evaluationManifestKey("public", body.evaluationId));
    const manifestRes = await stack.s3.send(
      new (await import("@aws-sdk/client-s3")).GetObjectCommand({
        Bucket: stack.config.bucket,
        Key: evaluationManifestKey("public", body.evaluationId),
      }),
    );
    const manifest = EvaluationManifestSchema.parse(JSON.parse(await manifestRes.Body!.transformToString()));
    expect(manifest.shards.map((s) => s.items.map((i) => i.id))).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(manifest).toMatchObject({ datasetId: "shadow-val", policyVersion: "v3", task: "shadow" });
  });

  it("reports shards done, the summary and report URLs as the workers write them", async () => {
    const prefix = await seedDataset("blur-val");
    const { evaluationId: id } = (await (await post({ dataset: prefix, task: "blur" })).json()) as {
      evaluationId: string;
    };
    await put(evaluationShardDoneKey("public", id, 0), "{}");
    await put(evaluationShardDoneKey("public", id, 2), "{}");
    const view = (await (await app.request(`/v1/evaluations/${id}`)).json()) as { shards: { done: number } };
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
    await put(evaluationSummaryKey("public", id), JSON.stringify(summary));
    await put(evaluationReportKey("public", id), "# report");
    await put(evaluationReportKey("public", id).replace(/report\.md$/, "report.html"), "<!doctype html>");
    const full = (await (await app.request(`/v1/evaluations/${id}`)).json()) as {
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
    expect(await stack.allKeys()).toEqual([]);
  });

  it("answers 404 for an empty dataset, 400 for an unknown task, 404 for an unknown evaluation", async () => {
    const empty = await post({ dataset: "tenants/public/datasets/nothing-here/", task: "shadow" });
    expect(empty.status).toBe(404);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("DATASET_NOT_FOUND");
    const unknown = await post({ dataset: "tenants/public/datasets/x/", task: "sky" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("UNKNOWN_TASK");
    expect((await app.request("/v1/evaluations/nope")).status).toBe(404);
  });
});
