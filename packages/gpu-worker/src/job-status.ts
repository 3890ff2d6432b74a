/**
 * Status-document transitions. A terminal status is written last, so it doubles as the job's
 * "done" marker: a redelivered message for a terminal job does nothing.
 */
import {
  type CallbackDelivery,
  isTerminal,
  type JobError,
  type JobKind,
  type JobStatus,
  JobStatusSchema,
  jobStatusKey,
  queuedStatus,
  type TrainingProgress,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "./context.ts";

export interface JobRef {
  readonly tenant: string;
  readonly jobId: string;
  readonly kind: JobKind;
  readonly callbackUrl?: string;
}

export function readStatus(
  ctx: HandlerContext,
  ref: { tenant: string; jobId: string },
): Promise<JobStatus | undefined> {
  return ctx.storage.getJson(jobStatusKey(ref.tenant, ref.jobId), JobStatusSchema);
}

/** The stored status, or a queued one made on the fly for a message sent without the API. */
function storedOrQueued(
  ctx: HandlerContext,
  ref: JobRef,
  current: JobStatus | undefined,
  total?: number,
): JobStatus {
  return (
    current ??
    queuedStatus({
      jobId: ref.jobId,
      tenant: ref.tenant,
      kind: ref.kind,
      total,
      callbackUrl: ref.callbackUrl,
      now: ctx.now(),
    })
  );
}

async function write(ctx: HandlerContext, status: JobStatus): Promise<JobStatus> {
  const parsed = JobStatusSchema.parse(status);
  await ctx.storage.putJson(jobStatusKey(parsed.tenant, parsed.jobId), parsed);
  return parsed;
}

/**
 * Move a job to running, or return undefined when it is already terminal (nothing to do). A
 * missing status (a message sent without the API) is created on the fly.
 */
export async function startJob(
  ctx: HandlerContext,
  ref: JobRef,
  delivery: Delivery,
  total = 1,
): Promise<JobStatus | undefined> {
  const current = await readStatus(ctx, ref);
  if (current && isTerminal(current.state)) return undefined;
  const now = ctx.now().toISOString();
  const base = storedOrQueued(ctx, ref, current, total);
  return write(ctx, {
    ...base,
    callbackUrl: ref.callbackUrl ?? base.callbackUrl,
    state: "running",
    startedAt: base.startedAt ?? now,
    updatedAt: now,
    attempts: Math.max(base.attempts, delivery.receiveCount),
  });
}

/** Advance progress of a running job (best effort: a status already terminal is left alone). */
export async function reportProgress(
  ctx: HandlerContext,
  status: JobStatus,
  done: number,
  total: number,
): Promise<JobStatus> {
  return write(ctx, { ...status, progress: { done, total }, updatedAt: ctx.now().toISOString() });
}

/** Write a training run's live progress (episodes as the status's progress too). */
export async function reportTraining(
  ctx: HandlerContext,
  status: JobStatus,
  training: TrainingProgress,
): Promise<JobStatus> {
  const progress =
    training.episodesTotal > 0
      ? { done: training.episodesDone, total: training.episodesTotal }
      : status.progress;
  return write(ctx, { ...status, progress, training, updatedAt: ctx.now().toISOString() });
}

/** The job's last write on success. */
export async function succeedJob(
  ctx: HandlerContext,
  status: JobStatus,
  resultKeys: Record<string, string>,
  summary?: Record<string, unknown>,
): Promise<JobStatus> {
  const now = ctx.now().toISOString();
  return write(ctx, {
    ...status,
    state: "succeeded",
    progress: { done: status.progress.total, total: status.progress.total },
    resultKeys,
    summary,
    error: undefined,
    updatedAt: now,
    finishedAt: now,
  });
}

/** Mark a job failed with a reason a caller can act on; creates the status if there is none. */
export async function failJob(
  ctx: HandlerContext,
  ref: JobRef,
  error: JobError,
  delivery?: Delivery,
): Promise<JobStatus> {
  const current = await readStatus(ctx, ref);
  if (current && isTerminal(current.state)) return current;
  const now = ctx.now().toISOString();
  const base = storedOrQueued(ctx, ref, current);
  return write(ctx, {
    ...base,
    callbackUrl: ref.callbackUrl ?? base.callbackUrl,
    state: "failed",
    error,
    attempts: Math.max(base.attempts, delivery?.receiveCount ?? 0),
    updatedAt: now,
    finishedAt: now,
  });
}

/**
 * Record how the completion callback went on the terminal status, so GET /v1/jobs/{id} shows it.
 * Best effort: the job is done and its callback sent; a failed write is logged, never retried (a
 * redelivery would find the job terminal and send nothing).
 */
export async function recordCallback(
  ctx: HandlerContext,
  status: JobStatus,
  delivery: CallbackDelivery,
): Promise<void> {
  try {
    await write(ctx, { ...status, callback: delivery });
  } catch (e) {
    ctx.log.warn("callback outcome not recorded", { jobId: status.jobId, error: String(e) });
  }
}
