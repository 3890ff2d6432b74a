/**
 * Queue messages, versioned (`v: 1`) and validated on both sides: the API parses what it sends and
 * the worker parses what it receives. Messages carry ids, never S3 keys, so the worker derives every
 * key through ./keys.ts and nothing in a message can point outside its tenant's prefix.
 */
import { z } from "zod";
import { TaskDefinitionSchema, TaskNameSchema } from "../tasks/registry.ts";
import { DEFAULT_TENANT, KeySegmentSchema, type ResultName } from "./keys.ts";

export const JOB_MESSAGE_VERSION = 1 as const;

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

/** Segmentation knobs a caller may set; defaults come from the task's policy. */
export const SegmentOptionsSchema = z.object({
  /** Prompting steps T (paper default 15). */
  steps: z.int().min(1).max(64).optional(),
  /** Pick argmax actions (reproducible) instead of sampling. */
  greedy: z.boolean().default(true),
  /** Seed for sampled actions, so a redelivered job rewrites identical results. */
  seed: z.int().min(0).default(0),
});
export type SegmentOptions = z.infer<typeof SegmentOptionsSchema>;

/**
 * Results a segment job can write; a caller may ask for a subset (default: all). "steps" is the
 * mask after each click and the SRM map, small, for viewers that replay the trajectory (the
 * playground); see packages/gpu-worker/src/handlers/steps-output.ts for its shape.
 */
export const SEGMENT_OUTPUTS = [
  "mask",
  "probability",
  "rle",
  "trajectory",
  "overlay",
  "metrics",
  "steps",
] as const;
export const SegmentOutputSchema = z.enum(SEGMENT_OUTPUTS);
export type SegmentOutput = z.infer<typeof SegmentOutputSchema>;

/** The object each output is stored as, under the job's results/ prefix. */
export const SEGMENT_OUTPUT_FILES: Readonly<Record<SegmentOutput, ResultName>> = {
  mask: "mask.png",
  probability: "probability.png",
  rle: "rle.json",
  trajectory: "trajectory.json",
  overlay: "overlay.png",
  metrics: "metrics.json",
  steps: "steps.json",
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
  /** Class name for class-prompted tasks (the "{class}" in the task's texts). */
  className: z.string().min(1).max(64).optional(),
  options: SegmentOptionsSchema.default({ greedy: true, seed: 0 }),
  /** Results to write; absent means all of SEGMENT_OUTPUTS. The status summary is always written. */
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

/** Hyper-parameters a retraining request may override (ALGORITHM.md defaults otherwise). */
export const TrainOptionsSchema = z.object({
  /** E: passes over the training images, one episode per image each (paper 50; the pipeline's `epochs`). */
  episodes: z.int().min(1).max(10_000).optional(),
  /** T: clicks per episode (paper 15). */
  steps: z.int().min(1).max(64).optional(),
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
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;

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
  options: TrainOptionsSchema.default({ seed: 0 }),
});
export type TrainMessage = z.infer<typeof TrainMessageSchema>;

export const JobMessageSchema = z.discriminatedUnion("type", [
  SegmentMessageSchema,
  EvalShardMessageSchema,
  EvalReduceMessageSchema,
  TrainMessageSchema,
]);
export type JobMessage = z.infer<typeof JobMessageSchema>;
/** What the API writes into the queue (defaults may be left out; parsing fills them). */
export type JobMessageInput = z.input<typeof JobMessageSchema>;
export type JobMessageType = JobMessage["type"];
export const JOB_MESSAGE_TYPES: readonly JobMessageType[] = ["segment", "eval-shard", "eval-reduce", "train"];

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
