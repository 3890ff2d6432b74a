/**
 * Queue messages, versioned (`v: 1`) and validated on both sides: the API parses what it sends and
 * the worker parses what it receives. Messages carry ids, never S3 keys, so the worker derives every
 * key through ./keys.ts and nothing in a message can point outside its tenant's prefix.
 */
import { z } from "zod";
import { STEPS_RANGE } from "../pipeline/defaults.ts";
import { TaskDefinitionSchema, TaskNameSchema } from "../tasks/registry.ts";
import { DEFAULT_TENANT, KeySegmentSchema, type ResultName } from "./keys.ts";

export const JOB_MESSAGE_VERSION = 1 as const;

/** T, prompting steps (clicks) per image, within STEPS_RANGE: the one schema the API and messages share. */
export const StepsSchema = z.int().min(STEPS_RANGE.min).max(STEPS_RANGE.max);

const baseFields = {
  v: z.literal(JOB_MESSAGE_VERSION),
  /** Id of the job whose status document this message advances. */
  jobId: KeySegmentSchema,
  tenant: KeySegmentSchema.default(DEFAULT_TENANT),
  /** When the API accepted the job (ISO 8601); informative only. */
  submittedAt: z.iso.datetime().optional(),
  /** Where to POST the final status (HMAC-signed, see ./signature.ts). */
  callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
};

/**
 * The fields every message of a job carries, stamped at accept: spread it first, then the type's
 * own fields.
 * @example { ...messageEnvelope("segment", { jobId, tenant, now, callbackUrl }), task, uploadId }
 */
export function messageEnvelope<T extends JobMessageType>(
  type: T,
  job: { jobId: string; tenant: string; now: Date; callbackUrl?: string },
) {
  return {
    v: JOB_MESSAGE_VERSION,
    type,
    jobId: job.jobId,
    tenant: job.tenant,
    submittedAt: job.now.toISOString(),
    callbackUrl: job.callbackUrl,
  };
}

/** The class of a class-prompted task (the "{class}" in the task's texts), e.g. a VOC class. */
export const ClassNameSchema = z.string().min(1).max(64);

/** Segmentation knobs a caller may set; defaults come from the task's policy. */
export const SegmentJobOptionsSchema = z.object({
  /** Prompting steps T (paper default 15). */
  steps: StepsSchema.optional(),
  /** Pick argmax actions (reproducible) instead of sampling. */
  greedy: z.boolean().default(true),
  /** Seed for sampled actions, so a redelivered job rewrites identical results. */
  seed: z.int().min(0).default(0),
});
export type SegmentJobOptions = z.infer<typeof SegmentJobOptionsSchema>;

/**
 * Results a segment job can write; a caller may ask for any subset (default:
 * DEFAULT_SEGMENT_OUTPUTS). "steps" is the mask after each click and the SRM map, small, for viewers
 * that replay the trajectory (the playground); see packages/gpu-worker/src/handlers/steps-output.ts
 * for its shape. "polygons" is the mask as COCO polygons (`{v: 1, width, height, tolerance,
 * polygons}`, see ../export/polygons.ts), written only when asked for.
 */
export const SEGMENT_OUTPUTS = [
  "mask",
  "probability",
  "rle",
  "trajectory",
  "overlay",
  "metrics",
  "steps",
  "polygons",
] as const;
export const SegmentOutputSchema = z.enum(SEGMENT_OUTPUTS);
export type SegmentOutput = z.infer<typeof SegmentOutputSchema>;

/** What a segment job writes when it names no outputs: all but the opt-in "polygons". */
export const DEFAULT_SEGMENT_OUTPUTS: readonly SegmentOutput[] = SEGMENT_OUTPUTS.filter(
  (o) => o !== "polygons",
);

/** The object each output is stored as, under the job's results/ prefix. */
export const SEGMENT_OUTPUT_FILES: Readonly<Record<SegmentOutput, ResultName>> = {
  mask: "mask.png",
  probability: "probability.png",
  rle: "rle.json",
  trajectory: "trajectory.json",
  overlay: "overlay.png",
  metrics: "metrics.json",
  steps: "steps.json",
  polygons: "polygons.json",
};

export const SegmentMessageSchema = z.object({
  ...baseFields,
  type: z.literal("segment"),
  task: TaskNameSchema,
  /** The image: `tenants/<tenant>/inputs/<uploadId>`. */
  uploadId: KeySegmentSchema,
  /** Optional ground-truth mask upload; when present metrics.json carries IoU and friends. */
  groundTruthUploadId: KeySegmentSchema.optional(),
  /** Policy version to use; absent means the task's current version. */
  policyVersion: KeySegmentSchema.optional(),
  /** Class name for class-prompted tasks. */
  className: ClassNameSchema.optional(),
  options: SegmentJobOptionsSchema.default({ greedy: true, seed: 0 }),
  /** Results to write; absent means DEFAULT_SEGMENT_OUTPUTS. The status summary is always written. */
  outputs: z.array(SegmentOutputSchema).min(1).max(SEGMENT_OUTPUTS.length).optional(),
});
export type SegmentMessage = z.infer<typeof SegmentMessageSchema>;

/** One shard of a dataset evaluation; its images are listed in the evaluation manifest. */
export const EvalShardMessageSchema = z.object({
  ...baseFields,
  type: z.literal("eval-shard"),
  evalId: KeySegmentSchema,
  shard: z.int().min(0).max(99_999),
});
export type EvalShardMessage = z.infer<typeof EvalShardMessageSchema>;

/** Sent once by the last shard to finish (and harmless if sent twice: the reduce is idempotent). */
export const EvalReduceMessageSchema = z.object({
  ...baseFields,
  type: z.literal("eval-reduce"),
  evalId: KeySegmentSchema,
});
export type EvalReduceMessage = z.infer<typeof EvalReduceMessageSchema>;

/** One shard of a batch segmentation job; its images are listed in the batch manifest (./batch.ts). */
export const BatchShardMessageSchema = z.object({
  ...baseFields,
  type: z.literal("batch-shard"),
  batchId: KeySegmentSchema,
  shard: z.int().min(0).max(99_999),
});
export type BatchShardMessage = z.infer<typeof BatchShardMessageSchema>;

/** Sent by the last batch shard to finish; idempotent like eval-reduce. */
export const BatchReduceMessageSchema = z.object({
  ...baseFields,
  type: z.literal("batch-reduce"),
  batchId: KeySegmentSchema,
});
export type BatchReduceMessage = z.infer<typeof BatchReduceMessageSchema>;

/** Hyper-parameters a retraining request may override (ALGORITHM.md defaults otherwise). */
export const TrainJobOptionsSchema = z.object({
  /** E: passes over the training images, one episode per image each (paper 50; the pipeline's `epochs`). */
  episodes: z.int().min(1).max(10_000).optional(),
  /** T: clicks per episode (paper 15). */
  steps: StepsSchema.optional(),
  /** K: PPO epochs after each episode (paper 20). */
  ppoEpochs: z.int().min(1).max(200).optional(),
  /** Adam learning rate of the agent (paper 1e-4). */
  learningRate: z.number().positive().max(1).optional(),
  /** Bound on the SRM's supervised epochs per cross-fitting member (TRAINING_DEFAULTS.srmMaxEpochs). */
  srmMaxEpochs: z.int().min(1).max(500).optional(),
  /** Augmented copies per training image for the SRM (TRAINING_DEFAULTS.srmAugment). */
  srmAugment: z.int().min(0).max(16).optional(),
  seed: z.int().min(0).default(0),
});
export type TrainJobOptions = z.infer<typeof TrainJobOptionsSchema>;

/**
 * Retrain a task's policy on a labelled set (`tenants/<tenant>/datasets/<datasetId>/`), evaluate it
 * on the held-out split and promote it only if it is not worse than the current version.
 */
export const TrainMessageSchema = z.object({
  ...baseFields,
  type: z.literal("train"),
  task: TaskNameSchema,
  datasetId: KeySegmentSchema,
  /** For a customer's own concept: its branch and texts. Built-in tasks need none. */
  taskDefinition: TaskDefinitionSchema.optional(),
  /** Share of the labelled images kept out of training to judge the candidate. */
  heldOutFraction: z.number().gt(0).lt(1).default(0.2),
  /** Seed of the deterministic train/held-out split. */
  splitSeed: z.int().min(0).default(0),
  options: TrainJobOptionsSchema.default({ seed: 0 }),
  /** "auto": promote for the tenant when the guard allows; "manual": store and report, promote on request. */
  promote: z.enum(["auto", "manual"]).default("auto"),
  /** API key id that started the run (recorded with the version). */
  keyId: z.string().min(1).max(64).optional(),
});
export type TrainMessage = z.infer<typeof TrainMessageSchema>;

/**
 * Unpack and check a dataset archive (`tenants/<tenant>/inputs/<uploadId>`) into
 * `tenants/<tenant>/datasets/<datasetId>/` (./dataset-upload.ts); the dataset id is the job id.
 */
export const DatasetImportMessageSchema = z.object({
  ...baseFields,
  type: z.literal("dataset-import"),
  datasetId: KeySegmentSchema,
  uploadId: KeySegmentSchema,
  /** COCO archives: the category to rasterise; absent: the JSON's only category. */
  category: z.string().min(1).max(200).optional(),
});
export type DatasetImportMessage = z.infer<typeof DatasetImportMessageSchema>;

export const JobMessageSchema = z.discriminatedUnion("type", [
  SegmentMessageSchema,
  EvalShardMessageSchema,
  EvalReduceMessageSchema,
  TrainMessageSchema,
  BatchShardMessageSchema,
  BatchReduceMessageSchema,
  DatasetImportMessageSchema,
]);
export type JobMessage = z.infer<typeof JobMessageSchema>;
/** What the API writes into the queue (defaults may be left out; parsing fills them). */
export type JobMessageInput = z.input<typeof JobMessageSchema>;
export type JobMessageType = JobMessage["type"];
export const JOB_MESSAGE_TYPES: readonly JobMessageType[] = [
  "segment",
  "eval-shard",
  "eval-reduce",
  "train",
  "batch-shard",
  "batch-reduce",
  "dataset-import",
];

export type ParsedJobMessage =
  | { ok: true; message: JobMessage }
  | { ok: false; reason: string; jobRef: { jobId: string; tenant: string } | undefined };

/**
 * Parse a raw queue body. On failure, say why in one line and recover the job id and tenant when
 * they are themselves valid, so the worker can mark that job failed instead of leaving it queued.
 */
export function parseJobMessage(body: string | undefined): ParsedJobMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body ?? "");
  } catch {
    return { ok: false, reason: "message body is not JSON", jobRef: undefined };
  }
  const parsed = JobMessageSchema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const reason = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
    .join("; ");
  return { ok: false, reason: `invalid job message: ${reason}`, jobRef: recoverJobRef(raw) };
}

function recoverJobRef(raw: unknown): { jobId: string; tenant: string } | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const jobId = KeySegmentSchema.safeParse(r.jobId);
  const tenant = KeySegmentSchema.safeParse(r.tenant ?? DEFAULT_TENANT);
  return jobId.success && tenant.success ? { jobId: jobId.data, tenant: tenant.data } : undefined;
}
