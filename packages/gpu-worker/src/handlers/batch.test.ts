/**
 * A batch through its shards and reduce on the real engine and a real S3 emulator: each image's
 * files, one usage record per good image, a corrupt image recorded without failing the batch, a
 * COCO file whose RLEs decode to the images' masks, an archive holding it all, and redelivery that
 * rewrites the same bytes without a second record.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CocoInstancesSchema, rasterizePolygons } from "@alignsam/core/export";
import {
  BatchImageOutcomeSchema,
  type BatchManifest,
  batchImageFileKey,
  batchManifestKey,
  batchOutcomeKey,
  batchResultKey,
  batchShardDoneKey,
  defaultTaskRegistry,
  inputKey,
  type JobMessageInput,
  JobStatusSchema,
  jobStatusKey,
  planShards,
  type TaskDefinition,
  tenantTaskKey,
  usagePrefix,
} from "@alignsam/core/light";
import { decodeRle, rleSchema } from "@alignsam/core/mask";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { unzipSync } from "fflate";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HandlerContext } from "../context.ts";
import { dispatch } from "../dispatch.ts";
import { promoteVersion, savePolicyVersion } from "../policy-store.ts";
import { startTestEmulator, type TestEmulator } from "../testing/emulator.ts";
import { SHIPPED_POLICIES, testHandlerContext } from "../testing/handler-fixtures.ts";
import { handleBatchReduce } from "./batch-reduce.ts";
import { handleBatchShard } from "./batch-shard.ts";

const delivery = { receiveCount: 1, lastAttempt: false };
const TENANT = "t1";
const BATCH = "b1";

/** A bright disc on a darker ground, w x h, as PNG. */
async function disc(w: number, h: number, cx: number, cy: number, r: number): Promise<Uint8Array> {
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
      rgb.set(inside ? [230, 190, 60] : [40 + ((x * 7 + y * 3) % 20), 70, 100], (y * w + x) * 3);
    }
  return new Uint8Array(
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] && b[i] ? 1 : 0;
    union += a[i] || b[i] ? 1 : 0;
  }
  return union === 0 ? 1 : inter / union;
}

describe("batch shards and reduce", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const sent: JobMessageInput[] = [];
  const ids = ["u-a", "u-b", "u-bad", "u-c"];
  let manifest: BatchManifest;

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = testHandlerContext(emu.storage, {
      enqueue: async (m) => {
        sent.push(m);
      },
      now: () => new Date("2026-03-04T05:06:07.000Z"),
    });
    await emu.storage.putBytes(inputKey(TENANT, "u-a"), await disc(64, 48, 30, 24, 14), "image/png");
    await emu.storage.putBytes(inputKey(TENANT, "u-b"), await disc(80, 60, 50, 30, 18), "image/png");
    await emu.storage.putBytes(
      inputKey(TENANT, "u-bad"),
      new TextEncoder().encode("not an image"),
      "image/png",
    );
    await emu.storage.putBytes(inputKey(TENANT, "u-c"), await disc(48, 48, 20, 26, 12), "image/png");
    manifest = {
      v: 1,
      batchId: BATCH,
      jobId: BATCH,
      tenant: TENANT,
      task: "saliency",
      outputs: ["mask", "rle", "polygons", "coco"],
      source: { kind: "uploads" },
      shards: planShards(
        ids.map((id) => ({ id, name: id, fileName: `${id}.png` })),
        2,
      ),
      createdAt: "2026-03-04T05:00:00.000Z",
    };
    await emu.storage.putJson(batchManifestKey(TENANT, BATCH), manifest);
  });
  afterAll(async () => {
    await emu?.close();
  });

  const shardMsg = (shard: number) => ({
    v: 1 as const,
    type: "batch-shard" as const,
    jobId: BATCH,
    tenant: TENANT,
    batchId: BATCH,
    shard,
    submittedAt: "2026-03-04T05:00:00.000Z",
  });
  const bytesOf = async (key: string) => (await emu.storage.getBytes(key))!;
  const usageKeys = async () => (await emu.storage.list(usagePrefix(TENANT))).sort();

  it("segments every image, records the corrupt one, meters each good image once and reduces once", async () => {
    await handleBatchShard(ctx, shardMsg(0), delivery);
    expect(sent).toEqual([]); // one shard of two done: no reduce yet
    await handleBatchShard(ctx, shardMsg(1), delivery);
    expect(sent).toEqual([{ v: 1, type: "batch-reduce", jobId: BATCH, tenant: TENANT, batchId: BATCH }]);

    const failed = await emu.storage.getJson(
      batchOutcomeKey(TENANT, BATCH, "failed", "u-bad"),
      BatchImageOutcomeSchema,
    );
    expect(failed?.error?.code).toBe("IMAGE_DECODE");
    const usage = await usageKeys();
    expect(usage).toEqual(
      ["u-a", "u-b", "u-c"].map((id) => `${usagePrefix(TENANT)}2026-03-04/${BATCH}/images/${id}.json`),
    );

    const result = await handleBatchReduce(
      ctx,
      { v: 1, type: "batch-reduce", jobId: BATCH, tenant: TENANT, batchId: BATCH },
      delivery,
    );
    expect(result.outcome).toBe("succeeded");
    const status = JobStatusSchema.parse(
      JSON.parse(Buffer.from(await bytesOf(jobStatusKey(TENANT, BATCH))).toString()),
    );
    expect(status).toMatchObject({
      kind: "batch",
      state: "succeeded",
      summary: { images: 4, succeeded: 3, failed: 1 },
    });

    // COCO: three images (ids are manifest positions), one annotation each, RLE equal to rle.json.
    const coco = CocoInstancesSchema.parse(
      JSON.parse(Buffer.from(await bytesOf(batchResultKey(TENANT, BATCH, "coco.json"))).toString()),
    );
    expect(coco.images.map((i) => [i.id, i.file_name])).toEqual([
      [1, "u-a.png"],
      [2, "u-b.png"],
      [4, "u-c.png"],
    ]);
    expect(coco.categories).toEqual([{ id: 1, name: "saliency", supercategory: "" }]);
    // Annotation ids run 1..n; an image whose mask is empty has none (COCO has no empty annotation).
    expect(coco.annotations.map((a) => a.id)).toEqual(coco.annotations.map((_, i) => i + 1));
    let annotated = 0;
    for (const [cocoId, id] of [
      [1, "u-a"],
      [2, "u-b"],
      [4, "u-c"],
    ] as const) {
      const rle = rleSchema.parse(
        JSON.parse(Buffer.from(await bytesOf(batchImageFileKey(TENANT, BATCH, id, "rle.json"))).toString()),
      );
      const mask = decodeRle(rle);
      const anns = coco.annotations.filter((a) => a.image_id === cocoId);
      const area = mask.data.reduce((n, v) => n + v, 0);
      expect(anns).toHaveLength(area > 0 ? 1 : 0);
      if (area === 0) continue;
      annotated++;
      expect(decodeRle(anns[0].segmentation as typeof rle).data).toEqual(mask.data);
      const polygons = JSON.parse(
        Buffer.from(await bytesOf(batchImageFileKey(TENANT, BATCH, id, "polygons.json"))).toString(),
      ) as { polygons: number[][] };
      expect(
        iou(rasterizePolygons(polygons.polygons, mask.width, mask.height).data, mask.data),
      ).toBeGreaterThanOrEqual(0.9);
    }
    expect(annotated).toBeGreaterThanOrEqual(2);
    const polyCoco = CocoInstancesSchema.parse(
      JSON.parse(Buffer.from(await bytesOf(batchResultKey(TENANT, BATCH, "coco-polygons.json"))).toString()),
    );
    expect(polyCoco.annotations.every((a) => Array.isArray(a.segmentation))).toBe(true);

    // The archive: both COCO files, each image's files, and the failure list.
    const zip = unzipSync(await bytesOf(batchResultKey(TENANT, BATCH, "batch.zip")));
    expect(Object.keys(zip).sort()).toEqual(
      [
        "coco-polygons.json",
        "coco.json",
        "failures.json",
        ...["u-a", "u-b", "u-c"].flatMap((id) => [
          `masks/${id}.png`,
          `polygons/${id}.json`,
          `rle/${id}.json`,
        ]),
      ].sort(),
    );
    expect(zip["masks/u-b.png"]).toEqual(await bytesOf(batchImageFileKey(TENANT, BATCH, "u-b", "mask.png")));
    expect(JSON.parse(Buffer.from(zip["failures.json"]).toString())).toEqual([
      expect.objectContaining({ imageId: "u-bad", fileName: "u-bad.png", code: "IMAGE_DECODE" }),
    ]);
  });

  it("a redelivered shard cut off mid-way rewrites the same bytes and adds no usage record", async () => {
    const before = {
      mask: await bytesOf(batchImageFileKey(TENANT, BATCH, "u-a", "mask.png")),
      usage: await usageKeys(),
      zip: await bytesOf(batchResultKey(TENANT, BATCH, "batch.zip")),
    };
    // As if the worker died after u-a's files and usage record but before its outcome and marker,
    // and the job had not ended yet.
    const fresh = new Date().toISOString();
    await emu.storage.putJson(jobStatusKey(TENANT, BATCH), {
      v: 1,
      jobId: BATCH,
      tenant: TENANT,
      kind: "batch",
      state: "running",
      progress: { done: 0, total: 4 },
      createdAt: fresh,
      updatedAt: fresh,
    });
    for (const Key of [batchOutcomeKey(TENANT, BATCH, "ok", "u-a"), batchShardDoneKey(TENANT, BATCH, 0)]) {
      await emu.storage.client.send(new DeleteObjectCommand({ Bucket: emu.bucket, Key }));
    }
    sent.length = 0;
    await handleBatchShard(ctx, shardMsg(0), { receiveCount: 2, lastAttempt: false });
    expect(await bytesOf(batchImageFileKey(TENANT, BATCH, "u-a", "mask.png"))).toEqual(before.mask);
    expect(await usageKeys()).toEqual(before.usage);
    expect(sent.map((m) => m.type)).toEqual(["batch-reduce"]);
    const msg = {
      v: 1 as const,
      type: "batch-reduce" as const,
      jobId: BATCH,
      tenant: TENANT,
      batchId: BATCH,
    };
    expect((await handleBatchReduce(ctx, msg, delivery)).outcome).toBe("succeeded");
    expect(await bytesOf(batchResultKey(TENANT, BATCH, "batch.zip"))).toEqual(before.zip);
    // A second reduce finds the job finished.
    expect((await handleBatchReduce(ctx, msg, delivery)).outcome).toBe("skipped");
  });
});

describe("a tenant's batch follows the tenant's tasks and promoted policies", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const blurDir = join(SHIPPED_POLICIES, "blur");
  const OWN: TaskDefinition = {
    name: "discs",
    description: "acme's own task: bright discs",
    branch: "implicit",
    texts: ["bright disc"],
    metrics: ["mIoU"],
  };
  const images = ["i-a", "i-b"];

  /** blur's shipped policy re-labelled as `task`, with `steps` clicks: a version of its own. */
  async function policyFiles(task: TaskDefinition, steps: number): Promise<Map<string, Uint8Array>> {
    const files = new Map<string, Uint8Array>();
    for (const name of ["card.json", "weights.json", "weights.bin"])
      files.set(name, new Uint8Array(await readFile(join(blurDir, name))));
    const card = JSON.parse(Buffer.from(files.get("card.json")!).toString("utf8"));
    card.task = task;
    card.hyperparameters.steps = steps;
    files.set("card.json", new TextEncoder().encode(JSON.stringify(card)));
    return files;
  }

  async function storeAndPromote(tenant: string, task: TaskDefinition, version: string, steps: number) {
    await savePolicyVersion(emu.storage, {
      tenant,
      task: task.name,
      version,
      files: await policyFiles(task, steps),
    });
    await promoteVersion(emu.storage, tenant, task.name, {
      version,
      promotedAt: "2026-03-04T05:00:00.000Z",
      by: "promote",
    });
  }

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = testHandlerContext(emu.storage, { now: () => new Date("2026-03-04T05:06:07.000Z") });
    // acme defines "discs" under its prefix and promotes a version of it, and one of blur too.
    await emu.storage.putJson(tenantTaskKey("acme", OWN.name), {
      v: 1,
      tenant: "acme",
      definition: OWN,
      createdAt: "2026-03-04T05:00:00.000Z",
    });
    await storeAndPromote("acme", OWN, "d1", 3);
    await storeAndPromote("acme", defaultTaskRegistry.get("blur"), "b1", 3);
    for (const tenant of ["acme", "bolt"]) {
      await emu.storage.putBytes(inputKey(tenant, "i-a"), await disc(64, 48, 30, 24, 14), "image/png");
      await emu.storage.putBytes(inputKey(tenant, "i-b"), await disc(56, 56, 24, 30, 16), "image/png");
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  /** Run `tenant`'s batch of `task` over both images (one shard each) and its single segment jobs. */
  async function batchAndSingles(tenant: string, task: string) {
    const batchId = `batch-${tenant}`;
    await emu.storage.putJson(batchManifestKey(tenant, batchId), {
      v: 1,
      batchId,
      jobId: batchId,
      tenant,
      task,
      outputs: ["mask"],
      source: { kind: "uploads" },
      shards: planShards(
        images.map((id) => ({ id, name: id, fileName: `${id}.png` })),
        1,
      ),
      createdAt: "2026-03-04T05:00:00.000Z",
    } satisfies BatchManifest);
    for (const shard of [0, 1]) {
      const msg = { v: 1 as const, type: "batch-shard" as const, jobId: batchId, tenant, batchId, shard };
      expect((await handleBatchShard(ctx, msg, delivery)).outcome).toBe("succeeded");
    }
    const out = [];
    for (const id of images) {
      const jobId = `seg-${tenant}-${id}`;
      const message = { v: 1, type: "segment", jobId, tenant, task, uploadId: id, outputs: ["mask"] };
      expect(await dispatch(ctx, JSON.stringify(message), delivery)).toMatchObject({ outcome: "succeeded" });
      const status = (await emu.storage.getJson(jobStatusKey(tenant, jobId), JobStatusSchema))!;
      out.push({
        status,
        single: await emu.storage.getBytes(status.resultKeys["mask.png"]),
        batched: await emu.storage.getBytes(batchImageFileKey(tenant, batchId, id, "mask.png")),
        outcome: await emu.storage.getJson(
          batchOutcomeKey(tenant, batchId, "ok", id),
          BatchImageOutcomeSchema,
        ),
      });
    }
    return out;
  }

  it("serves acme's own task with its promoted version: each image as acme's segment job has it", async () => {
    for (const { status, single, batched, outcome } of await batchAndSingles("acme", "discs")) {
      expect(status.policy).toEqual({ source: "tenant", task: "discs", version: "d1" });
      expect(status.summary).toMatchObject({ policyVersion: "d1", clicks: 5 }); // 2 initial + 3 steps
      expect(outcome?.error).toBeUndefined();
      expect(batched).toBeDefined();
      expect(Buffer.from(batched!).equals(Buffer.from(single!))).toBe(true);
    }
  }, 120_000);

  it("leaves bolt's batch of the built-in task on the bundled policy, whatever acme promoted", async () => {
    for (const { status, single, batched } of await batchAndSingles("bolt", "blur")) {
      expect(status.policy).toEqual({ source: "bundled", task: "blur", version: "bundled:blur" });
      expect(status.summary).toMatchObject({ policyVersion: "bundled:blur", clicks: 17 });
      expect(Buffer.from(batched!).equals(Buffer.from(single!))).toBe(true);
    }
  }, 120_000);
});
