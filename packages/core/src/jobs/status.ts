/**
 * The job status document (`tenants/<tenant>/jobs/<jobId>/status.json`): the API creates it
 * `queued`, the worker moves it to `running` and finally to `succeeded` or `failed`. A terminal
 * status is the last object a job writes, so "status is terminal" means "all results are there",
 * and a redelivered message for a terminal job is acknowledged without work.
 */
import { z } from "zod";
import { DEFAULT_TENANT, KeySegmentSchema } from "./keys.ts";
import { PolicyServedSchema, TrainingProgressSchema } from "./tenant-policies.ts";

export const JobStateSchema = z.enum(["queued", "running", "succeeded", "failed"]);
export type JobState = z.infer<typeof JobStateSchema>;

/** What a job does; an evaluation's (a batch's) shards and reduce all advance one job. "dataset": an archive import. */
export const JobKindSchema = z.enum(["segment", "evaluation", "train", "batch", "dataset"]);
export type JobKind = z.infer<typeof JobKindSchema>;

export const JobErrorSchema = z.object({
  /** An AlignSamError code, or JOB_INVALID (schema-invalid message) / INTERNAL. */
  code: z.string().min(1),
  message: z.string(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

/** How the completion callback went, recorded by the worker on the terminal status after sending. */
export const CallbackDeliverySchema = z.object({
  /** The receiver answered 2xx. */
  delivered: z.boolean(),
  /** POSTs attempted (0: refused by the address policy before sending). */
  attempts: z.int().min(0),
  /** HTTP status of the last answer, if there was one. */
  lastStatus: z.int().optional(),
  /** Why the last attempt failed (network error, refusal), if it did. */
  lastError: z.string().max(500).optional(),
  /** When the delivery ended. */
  at: z.iso.datetime(),
});
export type CallbackDelivery = z.infer<typeof CallbackDeliverySchema>;

export const JobStatusSchema = z.object({
  v: z.literal(1),
  jobId: KeySegmentSchema,
  tenant: KeySegmentSchema.default(DEFAULT_TENANT),
  kind: JobKindSchema,
  state: JobStateSchema,
  progress: z.object({ done: z.int().min(0), total: z.int().min(0) }),
  error: JobErrorSchema.optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
  /** How many times a worker has picked the job up (SQS ApproximateReceiveCount). */
  attempts: z.int().min(0).default(0),
  /** Result name -> S3 key (e.g. "mask.png" -> tenants/.../results/mask.png). */
  resultKeys: z.record(z.string(), z.string()).default({}),
  /** Small job-specific outcome (metrics summary, promotion decision), copied from the results. */
  summary: z.record(z.string(), z.unknown()).optional(),
  callbackUrl: z.string().optional(),
  callback: CallbackDeliverySchema.optional(),
  /** Which policy served the job (tenant version or bundled), written by the worker. */
  policy: PolicyServedSchema.optional(),
  /** Live progress of a training run (phase, episodes, reward, SRM loss, ETA). */
  training: TrainingProgressSchema.optional(),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

export function isTerminal(state: JobState): boolean {
  return state === "succeeded" || state === "failed";
}

/** The document the API writes when it accepts a job. */
export function queuedStatus(args: {
  jobId: string;
  tenant?: string;
  kind: JobKind;
  total?: number;
  now?: Date;
  callbackUrl?: string;
}): JobStatus {
  const at = (args.now ?? new Date()).toISOString();
  return JobStatusSchema.parse({
    v: 1,
    jobId: args.jobId,
    tenant: args.tenant ?? DEFAULT_TENANT,
    kind: args.kind,
    state: "queued",
    progress: { done: 0, total: args.total ?? 1 },
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    resultKeys: {},
    callbackUrl: args.callbackUrl,
  });
}
