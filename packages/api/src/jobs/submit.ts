/**
 * Accept a job: write its `queued` status document, then send its messages. The status goes first
 * so a worker that picks the message up at once finds it; if the queue refuses, the status is
 * rewritten `failed` so the job never looks queued forever, and the caller gets 503.
 */
import { type JobMessageInput, type JobStatus, JobStatusSchema, jobStatusKey } from "@alignsam/core/light";
import type { RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { apiLog } from "../http/logger.ts";
import { publicUrl } from "../http/public-url.ts";
import { sendJobs } from "../queue/send-jobs.ts";
import { type Admission, releaseOnFailure } from "../usage/quota.ts";

export async function submitJob(
  ctx: RouteContext,
  status: JobStatus,
  messages: readonly JobMessageInput[],
): Promise<void> {
  const key = jobStatusKey(status.tenant, status.jobId);
  await ctx.store.putJson(key, status);
  try {
    await sendJobs(ctx.sqs, ctx.config.queueUrl, messages);
  } catch (err) {
    const at = ctx.clock().toISOString();
    const failed = JobStatusSchema.parse({
      ...status,
      state: "failed",
      updatedAt: at,
      finishedAt: at,
      error: { code: "QUEUE_UNAVAILABLE", message: "the job could not be enqueued; submit it again" },
    });
    await ctx.store.putJson(key, failed).catch(() => undefined);
    apiLog.error("enqueue failed", { jobId: status.jobId, error: String(err) });
    throw new HttpError(503, "QUEUE_UNAVAILABLE", "the job queue is unavailable; try again shortly", {
      jobId: status.jobId,
    });
  }
}

/**
 * Accept a job that fans out over shards (a batch, an evaluation): its manifest first, the document
 * the shard workers read, then its queued status and one message per shard (`submitJob`). If any
 * write fails, the quota hold is given back before the error reaches the caller.
 */
export async function submitShardedJob(
  ctx: RouteContext,
  admission: Admission,
  job: { manifestKey: string; manifest: unknown; status: JobStatus; messages: readonly JobMessageInput[] },
): Promise<void> {
  await releaseOnFailure(admission, async () => {
    await ctx.store.putJson(job.manifestKey, job.manifest);
    await submitJob(ctx, job.status, job.messages);
  });
}

/** The URL a client polls for a job. */
export function statusUrl(ctx: RouteContext, requestUrl: string, jobId: string): string {
  return publicUrl(ctx.config, requestUrl, `/v1/jobs/${encodeURIComponent(jobId)}`);
}
