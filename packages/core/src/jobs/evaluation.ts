/**
 * Documents of a sharded dataset evaluation. The API writes the manifest (which images, in which
 * shard) and sends one `eval-shard` message per shard; each shard writes one per-image document per
 * image and then its done marker; the last shard to finish enqueues `eval-reduce`, which reads the
 * per-image documents and writes summary.json and report.md.
 */
import { z } from "zod";
import { TaskNameSchema } from "../tasks/registry.ts";
import { DEFAULT_TENANT, KeySegmentSchema } from "./keys.ts";
import { ClassNameSchema } from "./messages.ts";
import { shardDoneFields, shardsSchema } from "./shards.ts";
import { JobErrorSchema } from "./status.ts";

/** One labelled image, named by its files under the dataset prefix's images/ and masks/ folders. */
export const EvaluationItemSchema = z.object({
  id: KeySegmentSchema,
  image: KeySegmentSchema,
  mask: KeySegmentSchema,
});
export type EvaluationItem = z.infer<typeof EvaluationItemSchema>;

export const EvaluationManifestSchema = z.object({
  v: z.literal(1),
  evalId: KeySegmentSchema,
  /** The job whose status document tracks this evaluation. */
  jobId: KeySegmentSchema,
  tenant: KeySegmentSchema.default(DEFAULT_TENANT),
  task: TaskNameSchema,
  /** `tenants/<tenant>/datasets/<datasetId>/` holds the images and masks. */
  datasetId: KeySegmentSchema,
  /** Absent: the task's current policy when the shard runs. */
  policyVersion: KeySegmentSchema.optional(),
  className: ClassNameSchema.optional(),
  shards: shardsSchema(EvaluationItemSchema),
  createdAt: z.iso.datetime(),
  callbackUrl: z.string().optional(),
});
export type EvaluationManifest = z.infer<typeof EvaluationManifestSchema>;

/** Pixel counts of a mask against its ground truth: intersection = tp, union = tp + fp + fn. */
export const PixelCountsSchema = z.object({
  tp: z.int().min(0),
  fp: z.int().min(0),
  fn: z.int().min(0),
  tn: z.int().min(0),
});

/** Per-image outcome: metrics by name (see the task registry), or why the image failed. */
export const PerImageMetricsSchema = z.object({
  v: z.literal(1),
  evalId: KeySegmentSchema,
  imageId: KeySegmentSchema,
  shard: z.int().min(0),
  metrics: z.record(z.string(), z.number()).default({}),
  /** The image's pixel counts, so the reduce can pool intersection and union (class-pooled mIoU). */
  counts: PixelCountsSchema.optional(),
  /** The class the image was prompted with (the evaluation's className), the pooling's class. */
  className: ClassNameSchema.optional(),
  error: JobErrorSchema.optional(),
  durationMs: z.number().min(0),
});
export type PerImageMetrics = z.infer<typeof PerImageMetricsSchema>;

/** A shard's done marker: written after all of its per-image documents. */
export const ShardDoneSchema = z.object({
  v: z.literal(1),
  evalId: KeySegmentSchema,
  ...shardDoneFields,
});
export type ShardDone = z.infer<typeof ShardDoneSchema>;

export const EvaluationSummarySchema = z.object({
  v: z.literal(1),
  evalId: KeySegmentSchema,
  jobId: KeySegmentSchema,
  task: TaskNameSchema,
  policyVersion: z.string().optional(),
  images: z.int().min(0),
  failed: z.int().min(0),
  /**
   * Dataset-level metrics, formed by @alignsam/core/metrics' `datasetMetrics`: the mean over images,
   * except mIoU of a class-prompted task (voc), pooled per class with the image mean beside it as
   * `imageMeanIoU`.
   */
  metrics: z.record(z.string(), z.number()),
  createdAt: z.iso.datetime(),
});
/** An evaluation job's summary.json (the evaluation runner's own result is EvaluationSummary). */
export type EvaluationJobSummary = z.infer<typeof EvaluationSummarySchema>;
