/**
 * `batch-shard`: segment the shard's images exactly as a segment job would (same decode, policy,
 * greedy seed 0, masks at the input's size), write each image's files, its usage record and then
 * its outcome document (`outcomes/ok/` or `outcomes/failed/`); the shard loop, its done marker and
 * the `batch-reduce` that the last shard enqueues are ./shard-run.ts's, shared with `eval-shard`.
 * Images with an outcome already (an earlier delivery got that far) are skipped, so a redelivered
 * shard neither redoes nor re-meters them; an image cut off mid-way is redone and rewrites the same
 * bytes and the same usage key. A corrupt or missing image is recorded as failed (not billed) and
 * the batch goes on.
 */
import { buildCocoInstances, DEFAULT_POLYGON_TOLERANCE, maskToPolygons } from "@alignsam/core/export";
import {
  AlignSamError,
  BATCH_IMAGE_FILES,
  type BatchImageFile,
  type BatchImageOutcome,
  type BatchItem,
  type BatchManifest,
  BatchManifestSchema,
  type BatchShardMessage,
  batchImageFileKey,
  batchItems,
  batchManifestKey,
  batchOutcomeKey,
  batchOutcomesPrefix,
  batchShardDoneKey,
  batchShardsPrefix,
  datasetPrefix,
  inputKey,
} from "@alignsam/core/light";
import { type BinaryMask, encodeMaskPng, encodeRle } from "@alignsam/core/mask";
import type { Delivery, HandlerContext } from "../context.ts";
import type { JobRef } from "../job-status.ts";
import { decodeForJob, maskAtOriginalSize } from "../working-image.ts";
import type { HandlerResult } from "./result.ts";
import { IMAGE_DATA_ERRORS, runShard, type ShardedJob } from "./shard-run.ts";

/** Error codes that condemn one image, not the batch. */
const DATA_ERRORS: ReadonlySet<string> = new Set(IMAGE_DATA_ERRORS);

/** Read a batch's manifest, refusing (permanently) a message that names none. */
export async function readBatchManifest(
  ctx: HandlerContext,
  tenant: string,
  batchId: string,
): Promise<BatchManifest> {
  const manifest = await ctx.storage.getJson(batchManifestKey(tenant, batchId), BatchManifestSchema);
  if (!manifest) throw new AlignSamError("JOB_INVALID", `batch "${batchId}" has no manifest`);
  return manifest;
}

/** The batch's job (status, callback), shared by every shard and the reduce. */
export function batchJobRef(manifest: BatchManifest): JobRef {
  return {
    tenant: manifest.tenant,
    jobId: manifest.jobId,
    kind: "batch",
    callbackUrl: manifest.callbackUrl,
  };
}

/** The COCO category of a batch: the class of a class-prompted task, else the task. */
export function batchCategory(manifest: BatchManifest): string {
  return manifest.className ?? manifest.task;
}

function imageKey(manifest: BatchManifest, item: BatchItem): string {
  return manifest.source.kind === "uploads"
    ? inputKey(manifest.tenant, item.name)
    : `${datasetPrefix(manifest.tenant, manifest.source.datasetId)}images/${item.name}`;
}

/** The polygons document of one image, the single segment job's polygons.json shape. */
export function polygonsDocument(mask: BinaryMask): string {
  return JSON.stringify({
    v: 1,
    width: mask.width,
    height: mask.height,
    tolerance: DEFAULT_POLYGON_TOLERANCE,
    polygons: maskToPolygons(mask, { tolerance: DEFAULT_POLYGON_TOLERANCE }),
  });
}

export async function handleBatchShard(
  ctx: HandlerContext,
  msg: BatchShardMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const manifest = await readBatchManifest(ctx, msg.tenant, msg.batchId);
  const job: ShardedJob<BatchItem> = {
    label: `batch "${msg.batchId}"`,
    manifest,
    msg,
    ref: batchJobRef(manifest),
    // The API counts the progress from the outcome documents.
    progressTotal: manifest.shards.reduce((n, s) => n + s.items.length, 0),
    doneKey: batchShardDoneKey(msg.tenant, msg.batchId, msg.shard),
    shardsPrefix: batchShardsPrefix(msg.tenant, msg.batchId),
    id: { batchId: msg.batchId },
    dataErrors: DATA_ERRORS,
    reduce: { v: 1, type: "batch-reduce", jobId: manifest.jobId, tenant: msg.tenant, batchId: msg.batchId },
  };
  const writeOutcome = (item: BatchItem, outcome: BatchImageOutcome) =>
    ctx.storage.putJson(
      batchOutcomeKey(msg.tenant, msg.batchId, outcome.error ? "failed" : "ok", item.id),
      outcome,
    );
  return runShard(ctx, delivery, job, async (shard) => {
    const cocoIds = new Map(batchItems(manifest).map((i) => [i.id, i.cocoId]));
    const wanted = new Set(manifest.outputs);
    const category = batchCategory(manifest);
    // One listing says which images an earlier delivery already finished.
    const finished = new Map<string, "ok" | "failed">();
    for (const key of await ctx.storage.list(batchOutcomesPrefix(msg.tenant, msg.batchId))) {
      const m = /\/outcomes\/(ok|failed)\/([^/]+)\.json$/.exec(key);
      if (m) finished.set(m[2], m[1] as "ok" | "failed");
    }
    return {
      previous: async (item) => finished.get(item.id),
      async run(item, started) {
        const bytes = await ctx.storage.getBytes(imageKey(manifest, item));
        if (!bytes) throw new AlignSamError("IMAGE_EMPTY", `image "${item.fileName}" was not found`);
        const working = await decodeForJob(bytes, ctx.imageLimits);
        const { outcome: segmented, modelSeconds } = await shard.segment(working.image);
        const mask = maskAtOriginalSize(segmented.mask, working);
        const files: BatchImageFile[] = [];
        const put = async (file: BatchImageFile, body: Uint8Array | string, type: string) => {
          const key = batchImageFileKey(msg.tenant, msg.batchId, item.id, file);
          if (typeof body === "string") await ctx.storage.putText(key, body, type);
          else await ctx.storage.putBytes(key, body, type);
          files.push(file);
        };
        if (wanted.has("mask")) await put(BATCH_IMAGE_FILES.mask, await encodeMaskPng(mask), "image/png");
        if (wanted.has("rle"))
          await put(BATCH_IMAGE_FILES.rle, JSON.stringify(encodeRle(mask)), "application/json");
        if (wanted.has("polygons"))
          await put(BATCH_IMAGE_FILES.polygons, polygonsDocument(mask), "application/json");
        let area = 0;
        for (const v of mask.data) area += v;
        await shard.meter(
          { kind: "batch-image", imageId: item.id },
          segmented.trajectory.length,
          modelSeconds,
        );
        await writeOutcome(item, {
          v: 1,
          batchId: msg.batchId,
          imageId: item.id,
          shard: msg.shard,
          width: mask.width,
          height: mask.height,
          area,
          files,
          ...(wanted.has("coco")
            ? { coco: cocoFragment(cocoIds.get(item.id)!, item, mask, category, wanted.has("polygons")) }
            : {}),
          durationMs: Date.now() - started,
        });
      },
      async fail(item, e, started) {
        await writeOutcome(item, {
          v: 1,
          batchId: msg.batchId,
          imageId: item.id,
          shard: msg.shard,
          files: [],
          error: { code: e.code, message: e.message },
          durationMs: Date.now() - started,
        });
      },
    };
  });
}

/**
 * The image's COCO annotations, formed by the export module over this image alone (RLE, and with
 * polygons beside them when asked): the reduce only renumbers annotation ids, so no mask is held
 * in memory for the whole batch.
 */
function cocoFragment(
  cocoId: number,
  item: BatchItem,
  mask: BinaryMask,
  category: string,
  polygons: boolean,
): NonNullable<BatchImageOutcome["coco"]> {
  const images = [{ id: cocoId, fileName: item.fileName, width: mask.width, height: mask.height }];
  const annotations = [{ imageId: cocoId, category, mask }];
  const rle = buildCocoInstances(images, annotations, { categories: [category] });
  return {
    imageId: cocoId,
    image: rle.images[0] as unknown as Record<string, unknown>,
    annotations: rle.annotations as unknown as Record<string, unknown>[],
    ...(polygons
      ? {
          polygonAnnotations: buildCocoInstances(images, annotations, {
            categories: [category],
            polygons: true,
          }).annotations as unknown as Record<string, unknown>[],
        }
      : {}),
  };
}
