/**
 * Documents and keys of a batch segmentation job (label a whole set of images). The API writes the
 * manifest (which images, in which shard) and sends one `batch-shard` message per shard; each shard
 * segments its images, writing each image's results and then its outcome document (`ok/` or
 * `failed/`, so a listing counts progress without reads), then its done marker; the last shard to
 * finish enqueues `batch-reduce`, which merges the per-image COCO fragments into one COCO instances
 * file and packs the archive. The batch id is also its job id.
 *
 * ```
 * tenants/<tenant>/batches/<batchId>/manifest.json                    BatchManifest
 * tenants/<tenant>/batches/<batchId>/shards/<n>/done.json             BatchShardDone
 * tenants/<tenant>/batches/<batchId>/outcomes/{ok,failed}/<imageId>.json  BatchImageOutcome
 * tenants/<tenant>/batches/<batchId>/images/<imageId>/<file>          mask.png, rle.json, polygons.json
 * tenants/<tenant>/jobs/<batchId>/results/{coco.json,coco-polygons.json,batch.zip}  the reduce's output
 * ```
 */
import { z } from "zod";
import { TaskNameSchema } from "../tasks/registry.ts";
import { jobPrefix, KeySegmentSchema, keySegment, tenantPrefix } from "./keys.ts";
import { ClassNameSchema } from "./messages.ts";
import { shardDoneFields, shardsSchema } from "./shards.ts";
import { JobErrorSchema } from "./status.ts";

/** What a batch can write: per-image files, and the COCO instances file over the whole batch. */
export const BATCH_OUTPUTS = ["mask", "rle", "polygons", "coco"] as const;
export const BatchOutputSchema = z.enum(BATCH_OUTPUTS);
export type BatchOutput = z.infer<typeof BatchOutputSchema>;
/** Outputs of a batch that names none. */
export const DEFAULT_BATCH_OUTPUTS: readonly BatchOutput[] = ["mask", "rle", "coco"];

/** The per-image file each per-image output is stored as. */
export const BATCH_IMAGE_FILES = {
  mask: "mask.png",
  rle: "rle.json",
  polygons: "polygons.json",
} as const satisfies Partial<Record<BatchOutput, string>>;
export type BatchImageFile = (typeof BATCH_IMAGE_FILES)[keyof typeof BATCH_IMAGE_FILES];

/** Batch-level results under the job's results/ prefix (served like any job result). */
export const BATCH_RESULT_NAMES = ["coco.json", "coco-polygons.json", "batch.zip"] as const;
export type BatchResultName = (typeof BATCH_RESULT_NAMES)[number];

/**
 * A file name as an annotation tool shows it (COCO `file_name`): no folders, no control characters.
 */
export const BatchFileNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[/\\\p{Cc}]/u.test(s) && s !== "." && s !== "..", {
    message: "must be a plain file name: no '/', '\\' or control characters",
  });

/** One image: its id (key segment, unique in the batch), where its bytes are, its COCO file name. */
export const BatchItemSchema = z.object({
  id: KeySegmentSchema,
  /** The upload id (source "uploads") or the file name under the dataset's images/ (source "dataset"). */
  name: KeySegmentSchema,
  fileName: BatchFileNameSchema,
});
export type BatchItem = z.infer<typeof BatchItemSchema>;

export const BatchSourceSchema = z.discriminatedUnion("kind", [
  /** `tenants/<tenant>/inputs/<uploadId>`, presigned or multipart uploads. */
  z.object({ kind: z.literal("uploads") }),
  /** `tenants/<tenant>/datasets/<datasetId>/images/<file>`. */
  z.object({ kind: z.literal("dataset"), datasetId: KeySegmentSchema }),
]);
export type BatchSource = z.infer<typeof BatchSourceSchema>;

export const BatchManifestSchema = z.object({
  v: z.literal(1),
  batchId: KeySegmentSchema,
  jobId: KeySegmentSchema,
  tenant: KeySegmentSchema,
  task: TaskNameSchema,
  policyVersion: KeySegmentSchema.optional(),
  className: ClassNameSchema.optional(),
  outputs: z.array(BatchOutputSchema).min(1),
  source: BatchSourceSchema,
  shards: shardsSchema(BatchItemSchema),
  createdAt: z.iso.datetime(),
  callbackUrl: z.string().optional(),
});
export type BatchManifest = z.infer<typeof BatchManifestSchema>;

/**
 * One COCO annotation of an image as the shard formed it (core's buildCocoInstances over that image
 * alone); the reduce gives it the batch-wide annotation id. Kept loose here: the reduce validates
 * the merged file with the export module's CocoInstancesSchema.
 */
export const CocoFragmentSchema = z.object({
  /** COCO image id: the image's 1-based position in the manifest. */
  imageId: z.int().min(1),
  /** The image's COCO `images` entry. */
  image: z.record(z.string(), z.unknown()),
  annotations: z.array(z.record(z.string(), z.unknown())),
  /** The same annotations with polygon segmentation (only when "polygons" was asked for). */
  polygonAnnotations: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type CocoFragment = z.infer<typeof CocoFragmentSchema>;

/** What became of one image: its files and COCO fragment, or why it failed (a data error). */
export const BatchImageOutcomeSchema = z.object({
  v: z.literal(1),
  batchId: KeySegmentSchema,
  imageId: KeySegmentSchema,
  shard: z.int().min(0),
  width: z.int().min(1).optional(),
  height: z.int().min(1).optional(),
  /** Foreground pixels of the mask (at the image's size). */
  area: z.int().min(0).optional(),
  files: z.array(z.enum(["mask.png", "rle.json", "polygons.json"])).default([]),
  coco: CocoFragmentSchema.optional(),
  error: JobErrorSchema.optional(),
  durationMs: z.number().min(0),
});
export type BatchImageOutcome = z.infer<typeof BatchImageOutcomeSchema>;

export const BatchShardDoneSchema = z.object({
  v: z.literal(1),
  batchId: KeySegmentSchema,
  ...shardDoneFields,
});
export type BatchShardDone = z.infer<typeof BatchShardDoneSchema>;

/** The items of a manifest in order, each with its 1-based COCO image id. */
export function batchItems(manifest: BatchManifest): Array<BatchItem & { cocoId: number }> {
  return manifest.shards.flatMap((s) => s.items).map((item, i) => ({ ...item, cocoId: i + 1 }));
}

export function batchPrefix(tenant: string, batchId: string): string {
  return `${tenantPrefix(tenant)}batches/${keySegment(batchId, "batchId")}/`;
}

export function batchManifestKey(tenant: string, batchId: string): string {
  return `${batchPrefix(tenant, batchId)}manifest.json`;
}

/** Parent of all shard folders: list it to count finished shards. */
export function batchShardsPrefix(tenant: string, batchId: string): string {
  return `${batchPrefix(tenant, batchId)}shards/`;
}

export function batchShardDoneKey(tenant: string, batchId: string, shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard > 99_999) {
    throw new RangeError(`shard index ${shard} must be an integer in [0, 99999]`);
  }
  return `${batchShardsPrefix(tenant, batchId)}${shard}/done.json`;
}

export type BatchOutcomeState = "ok" | "failed";

/** Parent of the outcome documents; list `ok/` and `failed/` under it to count progress. */
export function batchOutcomesPrefix(tenant: string, batchId: string, state?: BatchOutcomeState): string {
  return `${batchPrefix(tenant, batchId)}outcomes/${state ? `${state}/` : ""}`;
}

export function batchOutcomeKey(
  tenant: string,
  batchId: string,
  state: BatchOutcomeState,
  imageId: string,
): string {
  return `${batchOutcomesPrefix(tenant, batchId, state)}${keySegment(imageId, "imageId")}.json`;
}

/** Image id and state an outcome key names; undefined for anything else. */
export function parseBatchOutcomeKey(
  tenant: string,
  batchId: string,
  key: string,
): { state: BatchOutcomeState; imageId: string } | undefined {
  const m = /^(ok|failed)\/([^/]+)\.json$/.exec(key.slice(batchOutcomesPrefix(tenant, batchId).length));
  if (!key.startsWith(batchOutcomesPrefix(tenant, batchId)) || !m) return undefined;
  return KeySegmentSchema.safeParse(m[2]).success
    ? { state: m[1] as BatchOutcomeState, imageId: m[2] }
    : undefined;
}

/** One per-image file of a batch. */
export function batchImageFileKey(
  tenant: string,
  batchId: string,
  imageId: string,
  file: BatchImageFile,
): string {
  return `${batchPrefix(tenant, batchId)}images/${keySegment(imageId, "imageId")}/${file}`;
}

/** A batch-level result, under the batch job's results/ (so GET /v1/jobs/{id} lists it). */
export function batchResultKey(tenant: string, batchId: string, name: BatchResultName): string {
  return `${jobPrefix(tenant, batchId)}results/${name}`;
}
