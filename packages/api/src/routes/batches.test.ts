/**
 * POST /v1/batches checks everything before its 202 (a refused request writes nothing), admits the
 * whole batch against the quota at once, writes the manifest and one message per shard; GET counts
 * images from the outcome documents while it runs and lists failures and result URLs.
 */
import {
  type BatchImageOutcome,
  BatchManifestSchema,
  BatchShardMessageSchema,
  batchManifestKey,
  batchOutcomeKey,
  batchResultKey,
  inputKey,
  JobStatusSchema,
  jobStatusKey,
  tenantPolicyFileKey,
  tenantTaskKey,
} from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { putTestKey } from "../testing/keys.ts";

describe("batches", () => {
  const t = useTestApp({ batchShardSize: 2, maxBatchImages: 5 });

  function post(body: unknown, headers: Record<string, string> = {}) {
    return t.app.request("/v1/batches", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  }
  async function uploads(tenant: string, ids: string[]) {
    for (const id of ids) await t.stack.put(inputKey(tenant, id), "image bytes");
  }

  it("accepts a list of uploads: manifest in shards, one message per shard, a queued batch job", async () => {
    await uploads("public", ["u1", "u2", "u3"]);
    const res = await post({
      images: ["u1", { uploadId: "u2", fileName: "street 2.jpg" }, "u3"],
      task: "saliency",
      outputs: ["mask", "coco", "polygons", "mask"],
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      batchId: string;
      jobId: string;
      images: number;
      shards: number;
      statusUrl: string;
    };
    expect(body).toMatchObject({ images: 3, shards: 2, state: "queued" });
    expect(body.jobId).toBe(body.batchId);
    expect(body.statusUrl).toBe(`http://api.test/v1/batches/${body.batchId}`);
    expect(res.headers.get("location")).toBe(body.statusUrl);

    const manifest = BatchManifestSchema.parse(
      await t.stack.getJson(batchManifestKey("public", body.batchId)),
    );
    expect(manifest.source).toEqual({ kind: "uploads" });
    expect(manifest.outputs).toEqual(["mask", "coco", "polygons"]);
    expect(manifest.shards.map((s) => s.items.map((i) => [i.id, i.fileName]))).toEqual([
      [
        ["u1", "u1"],
        ["u2", "street 2.jpg"],
      ],
      [["u3", "u3"]],
    ]);
    const messages = (await t.stack.drainMessages()).map((m) => BatchShardMessageSchema.parse(m));
    expect(messages.map((m) => m.shard).sort()).toEqual([0, 1]);
    const status = JobStatusSchema.parse(await t.stack.getJson(jobStatusKey("public", body.batchId)));
    expect(status).toMatchObject({ kind: "batch", state: "queued", progress: { done: 0, total: 3 } });
  });

  it("accepts a datasets prefix: every image file under its images/, sorted, other files reported", async () => {
    const prefix = "tenants/public/datasets/street/";
    for (const f of ["b.png", "a.jpg", "notes.txt", "c.webp"]) await t.stack.put(`${prefix}images/${f}`, "x");
    await t.stack.put(`${prefix}masks/a.png`, "x"); // masks are not needed, nor taken
    const res = await post({ images: `s3://${t.stack.config.bucket}/${prefix}`, task: "saliency" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { batchId: string; images: number; skipped: string[] };
    expect(body).toMatchObject({ images: 3, skipped: ["notes.txt"] });
    const manifest = BatchManifestSchema.parse(
      await t.stack.getJson(batchManifestKey("public", body.batchId)),
    );
    expect(manifest.source).toEqual({ kind: "dataset", datasetId: "street" });
    expect(manifest.outputs).toEqual(["mask", "rle", "coco"]);
    expect(manifest.shards.flatMap((s) => s.items.map((i) => i.id))).toEqual(["a.jpg", "b.png", "c.webp"]);
  });

  it.each([
    ["a missing upload", { images: ["u1", "nope"], task: "saliency" }, 404, "UPLOAD_NOT_FOUND"],
    [
      "an upload listed twice",
      { images: ["u1", { uploadId: "u1" }], task: "saliency" },
      400,
      "INVALID_ARGUMENT",
    ],
    [
      "a file name used twice",
      {
        images: [
          { uploadId: "u1", fileName: "x.png" },
          { uploadId: "u2", fileName: "x.png" },
        ],
        task: "saliency",
      },
      400,
      "INVALID_ARGUMENT",
    ],
    [
      "a file name with a folder",
      { images: [{ uploadId: "u1", fileName: "a/b.png" }], task: "saliency" },
      400,
      "INVALID_REQUEST",
    ],
    [
      "more images than a batch takes",
      { images: ["u1", "u2", "u3", "u4", "u5", "u6"], task: "saliency" },
      400,
      "INVALID_ARGUMENT",
    ],
    [
      "another tenant's prefix",
      { images: "tenants/other/datasets/street/", task: "saliency" },
      400,
      "INVALID_ARGUMENT",
    ],
    [
      "a prefix without images",
      { images: "tenants/public/datasets/empty/", task: "saliency" },
      404,
      "DATASET_NOT_FOUND",
    ],
    ["an unknown task", { images: ["u1"], task: "nope" }, 400, "UNKNOWN_TASK"],
    ["voc without className", { images: ["u1"], task: "voc" }, 400, "INVALID_ARGUMENT"],
    [
      "a class the prior does not know",
      { images: ["u1"], task: "voc", className: "unicorn" },
      400,
      "TEXT_UNSUPPORTED",
    ],
    ["an unknown output", { images: ["u1"], task: "saliency", outputs: ["overlay"] }, 400, "INVALID_REQUEST"],
    [
      "a missing policy version",
      { images: ["u1"], task: "saliency", policyVersion: "v9" },
      404,
      "POLICY_NOT_FOUND",
    ],
  ])("refuses %s and writes nothing", async (_what, request, httpStatus, code) => {
    await uploads("public", ["u1", "u2", "u3", "u4", "u5", "u6"]);
    const before = await t.stack.allKeys();
    const res = await post(request);
    const body = (await res.json()) as { error: { code: string } };
    expect([res.status, body.error.code]).toEqual([httpStatus, code]);
    expect(await t.stack.allKeys()).toEqual(before);
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("takes a tenant's own task and policy version, which stay unknown to another tenant", async () => {
    const acme = await putTestKey(t.stack, { tenant: "acme" });
    const bolt = await putTestKey(t.stack, { tenant: "bolt" });
    const definition = {
      name: "discs",
      description: "acme's own task",
      branch: "implicit",
      texts: ["bright disc"],
      metrics: ["mIoU"],
    };
    await t.stack.put(
      tenantTaskKey("acme", "discs"),
      JSON.stringify({ v: 1, tenant: "acme", definition, createdAt: new Date().toISOString() }),
    );
    await t.stack.put(tenantPolicyFileKey("acme", "discs", "d1", "card.json"), "{}");
    await uploads("acme", ["u1"]);
    await uploads("bolt", ["u1"]);
    const request = { images: ["u1"], task: "discs", policyVersion: "d1" };
    const accepted = await post(request, { authorization: acme.bearer });
    expect(accepted.status).toBe(202);
    const { batchId } = (await accepted.json()) as { batchId: string };
    const manifest = BatchManifestSchema.parse(await t.stack.getJson(batchManifestKey("acme", batchId)));
    expect(manifest).toMatchObject({ tenant: "acme", task: "discs", policyVersion: "d1" });
    const before = await t.stack.allKeys();
    const unknown = await post(request, { authorization: bolt.bearer });
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      "UNKNOWN_TASK",
    ]);
    // acme's version is not bolt's: a built-in task naming it is refused before any write.
    const noVersion = await post({ ...request, task: "blur" }, { authorization: bolt.bearer });
    expect([noVersion.status, ((await noVersion.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      "POLICY_NOT_FOUND",
    ]);
    expect(await t.stack.allKeys()).toEqual(before);
  });

  it("admits the whole batch against the quota up front (402 when it does not fit, nothing written)", async () => {
    const key = await putTestKey(t.stack, { tenant: "metered", quota: 3 });
    await uploads("metered", ["a", "b", "c", "d"]);
    const before = await t.stack.allKeys();
    const refused = await post(
      { images: ["a", "b", "c", "d"], task: "saliency" },
      { authorization: key.bearer },
    );
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { quota: 3, requested: 4 } },
    });
    expect(await t.stack.allKeys()).toEqual(before);
    const accepted = await post({ images: ["a", "b", "c"], task: "saliency" }, { authorization: key.bearer });
    expect(accepted.status).toBe(202);
    const again = await post({ images: ["d"], task: "saliency" }, { authorization: key.bearer });
    expect(again.status).toBe(402);
  });

  it("reports images done and failed from the outcome documents, the failures and the result URLs", async () => {
    await uploads("public", ["u1", "u2", "u3"]);
    const { batchId } = (await (await post({ images: ["u1", "u2", "u3"], task: "saliency" })).json()) as {
      batchId: string;
    };
    const outcome = (imageId: string, error?: BatchImageOutcome["error"]): BatchImageOutcome => ({
      v: 1,
      batchId,
      imageId,
      shard: 0,
      ...(error ? {} : { width: 4, height: 3, area: 5 }),
      files: error ? [] : ["mask.png"],
      ...(error ? { error } : {}),
      durationMs: 1,
    });
    await t.stack.put(batchOutcomeKey("public", batchId, "ok", "u1"), JSON.stringify(outcome("u1")));
    await t.stack.put(
      batchOutcomeKey("public", batchId, "failed", "u2"),
      JSON.stringify(outcome("u2", { code: "IMAGE_DECODE", message: "not an image" })),
    );
    const view = await (await t.app.request(`/v1/batches/${batchId}`)).json();
    expect(view).toMatchObject({
      batchId,
      state: "queued",
      images: { total: 3, done: 2, succeeded: 1, failed: 1 },
      shards: { done: 0, total: 2 },
      failures: [{ imageId: "u2", fileName: "u2", code: "IMAGE_DECODE", message: "not an image" }],
      results: {},
    });
    // GET /v1/jobs/{id} counts the same images while the batch runs.
    const job = (await (await t.app.request(`/v1/jobs/${batchId}`)).json()) as {
      kind: string;
      progress: unknown;
    };
    expect(job).toMatchObject({ kind: "batch", progress: { done: 2, total: 3 } });

    await t.stack.put(batchResultKey("public", batchId, "batch.zip"), "zip");
    const done = (await (await t.app.request(`/v1/batches/${batchId}`)).json()) as {
      results: Record<string, { url: string }>;
    };
    expect(Object.keys(done.results)).toEqual(["batch.zip"]);
    expect(await (await fetch(done.results["batch.zip"].url)).text()).toBe("zip");

    const image = await (await t.app.request(`/v1/batches/${batchId}/images/u1`)).json();
    expect(image).toMatchObject({ imageId: "u1", state: "succeeded", width: 4, height: 3, area: 5 });
    expect(Object.keys((image as { results: object }).results)).toEqual(["mask.png"]);
    expect(await (await t.app.request(`/v1/batches/${batchId}/images/u3`)).json()).toMatchObject({
      state: "pending",
    });
    expect((await t.app.request(`/v1/batches/${batchId}/images/zz`)).status).toBe(404);
    expect((await t.app.request("/v1/batches/unknown")).status).toBe(404);
  });
});
