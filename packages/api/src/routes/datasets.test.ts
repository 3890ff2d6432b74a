import {
  DatasetImportMessageSchema,
  DatasetReportSchema,
  datasetRecordKey,
  datasetReportKey,
  inputKey,
  JobStatusSchema,
  jobStatusKey,
} from "@alignsam/core/light";
import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { makeImage } from "../testing/images.ts";

describe("datasets routes", () => {
  const t = useTestApp({ maxArchiveBytes: 200_000 });

  async function archive(): Promise<Uint8Array> {
    const png = await makeImage("png");
    return zipSync({ "images/a.png": png, "masks/a.png": png });
  }

  function upload(body: Uint8Array, fields: Record<string, string> = {}) {
    const form = new FormData();
    form.append("archive", new File([new Uint8Array(body)], "data.zip", { type: "application/zip" }));
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return t.app.request("/v1/datasets", { method: "POST", body: form });
  }

  it("accepts a zip in the body: stores it, records the dataset and enqueues one dataset-import job", async () => {
    const zip = await archive();
    const res = await upload(zip, { name: "june", category: "cat" });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { datasetId: string; jobId: string; statusUrl: string };
    expect(accepted.jobId).toBe(accepted.datasetId);
    expect(accepted.statusUrl).toBe(`http://api.test/v1/datasets/${accepted.datasetId}`);
    const [raw, ...more] = await t.stack.drainMessages();
    expect(more).toEqual([]);
    const message = DatasetImportMessageSchema.parse(raw);
    expect(message).toMatchObject({ tenant: "public", datasetId: accepted.datasetId, category: "cat" });
    const keys = await t.stack.allKeys();
    expect(keys).toEqual(
      [
        inputKey("public", message.uploadId),
        datasetRecordKey("public", accepted.datasetId),
        jobStatusKey("public", accepted.datasetId),
      ].sort(),
    );

    const got = await t.app.request(`/v1/datasets/${accepted.datasetId}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      state: "queued",
      name: "june",
      format: "zip",
      archiveBytes: zip.length,
    });
  });

  it("refuses a body that is not an archive (415) and one past the limit (413), writing nothing", async () => {
    const notArchive = await upload(await makeImage("png"));
    expect(notArchive.status).toBe(415);
    expect(((await notArchive.json()) as { error: { code: string } }).error.code).toBe(
      "UNSUPPORTED_MEDIA_TYPE",
    );
    const big = await upload(new Uint8Array(250_000));
    expect(big.status).toBe(413);
    const empty = await t.app.request("/v1/datasets", { method: "POST" });
    expect(empty.status).toBe(400);
    expect(await t.stack.allKeys()).toEqual([]);
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("takes a presigned upload by id, and 404s an id never uploaded", async () => {
    const zip = await archive();
    const presign = await t.app.request("/v1/datasets/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contentType: "application/zip", contentLength: zip.length }),
    });
    expect(presign.status).toBe(201);
    const target = (await presign.json()) as {
      uploadId: string;
      url: string;
      headers: Record<string, string>;
    };
    const put = await fetch(target.url, {
      method: "PUT",
      headers: target.headers,
      body: new Uint8Array(zip),
    });
    expect(put.status).toBe(200);
    const res = await t.app.request("/v1/datasets", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: target.uploadId }),
    });
    expect(res.status).toBe(202);
    const [message] = (await t.stack.drainMessages()) as { uploadId: string }[];
    expect(message.uploadId).toBe(target.uploadId);

    const missing = await t.app.request("/v1/datasets", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uploadId: "never-uploaded" }),
    });
    expect(missing.status).toBe(404);
    const tooBig = await t.app.request("/v1/datasets/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contentType: "application/zip", contentLength: 300_000 }),
    });
    expect(tooBig.status).toBe(413);
  });

  it("shows state, counts and report once the worker wrote them, and lists only the caller's datasets", async () => {
    const res = await upload(await archive());
    const { datasetId } = (await res.json()) as { datasetId: string };
    const now = new Date().toISOString();
    const report = DatasetReportSchema.parse({
      v: 1,
      datasetId,
      format: "zip",
      layout: "folders",
      totals: {
        entries: 2,
        pairs: 1,
        refused: 0,
        warnings: 0,
        emptyMasks: 0,
        unpaired: 0,
        sizeMismatches: 0,
        unreadable: 0,
        uncompressedBytes: 10,
      },
      ids: ["a"],
      files: [],
      createdAt: now,
    });
    await t.stack.put(datasetReportKey("public", datasetId), report);
    const status = JobStatusSchema.parse({
      v: 1,
      jobId: datasetId,
      tenant: "public",
      kind: "dataset",
      state: "succeeded",
      progress: { done: 1, total: 1 },
      createdAt: now,
      updatedAt: now,
    });
    await t.stack.put(jobStatusKey("public", datasetId), status);
    // Another tenant's dataset, and a dataset written object by object (no record): neither listed.
    await t.stack.put(datasetRecordKey("other", "theirs"), {
      v: 1,
      datasetId: "theirs",
      jobId: "theirs",
      createdAt: now,
    });
    await t.stack.put("tenants/public/datasets/by-hand/images/x.png", {});

    const got = (await (await t.app.request(`/v1/datasets/${datasetId}`)).json()) as Record<string, unknown>;
    expect(got).toMatchObject({ state: "succeeded", counts: { pairs: 1 }, report: { ids: ["a"] } });
    const list = (await (await t.app.request("/v1/datasets")).json()) as {
      datasets: { datasetId: string }[];
    };
    expect(list.datasets.map((d) => d.datasetId)).toEqual([datasetId]);
    expect((await t.app.request("/v1/datasets/theirs")).status).toBe(404);
  });

  it("is described in the OpenAPI document", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/datasets", "/v1/datasets/{id}", "/v1/datasets/uploads"]),
    );
  });
});
