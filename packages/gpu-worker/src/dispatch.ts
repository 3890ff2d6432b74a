/**
 * From a raw queue body to a handler, and the failure policy:
 * - schema-invalid (poison): mark the job failed (JOB_INVALID, with the reason) when its id can be
 *   recovered, and leave the message to the queue's redrive policy, which moves it to the DLQ;
 * - an AlignSamError (bad input, unknown task, missing policy): a permanent failure, marked failed
 *   and acknowledged, since redelivery cannot help;
 * - anything else (S3 down, a bug): retried by redelivery; on the last allowed receive the job is
 *   marked failed (INTERNAL) before the message goes to the DLQ.
 * Terminal statuses trigger the completion callback.
 */
import {
  isAlignSamError,
  type JobKind,
  type JobMessage,
  type JobStatus,
  parseJobMessage,
} from "@alignsam/core/light";
import { sendCallback } from "./callback.ts";
import type { Delivery, HandlerContext } from "./context.ts";
import { handleBatchReduce } from "./handlers/batch-reduce.ts";
import { handleBatchShard } from "./handlers/batch-shard.ts";
import { handleDatasetImport } from "./handlers/dataset-import.ts";
import { handleEvalReduce } from "./handlers/eval-reduce.ts";
import { handleEvalShard } from "./handlers/eval-shard.ts";
import type { HandlerResult } from "./handlers/result.ts";
import { handleSegment } from "./handlers/segment.ts";
import { handleTrain } from "./handlers/train.ts";
import { failJob, type JobRef, recordCallback } from "./job-status.ts";

export type DispatchResult =
  | { ack: true; outcome: "succeeded" | "skipped" | "failed"; status?: JobStatus }
  | { ack: false; poison: boolean; error: Error };

function route(ctx: HandlerContext, msg: JobMessage, delivery: Delivery): Promise<HandlerResult> {
  switch (msg.type) {
    case "segment":
      return handleSegment(ctx, msg, delivery);
    case "eval-shard":
      return handleEvalShard(ctx, msg, delivery);
    case "eval-reduce":
      return handleEvalReduce(ctx, msg, delivery);
    case "train":
      return handleTrain(ctx, msg, delivery);
    case "dataset-import":
      return handleDatasetImport(ctx, msg, delivery);
    case "batch-shard":
      return handleBatchShard(ctx, msg, delivery);
    case "batch-reduce":
      return handleBatchReduce(ctx, msg, delivery);
  }
}

function kindOf(type: unknown): JobKind {
  if (type === "train") return "train";
  if (type === "dataset-import") return "dataset";
  if (type === "eval-shard" || type === "eval-reduce") return "evaluation";
  if (type === "batch-shard" || type === "batch-reduce") return "batch";
  return "segment";
}

async function notify(ctx: HandlerContext, status: JobStatus | undefined): Promise<void> {
  if (status?.callbackUrl && (status.state === "succeeded" || status.state === "failed")) {
    const delivery = await sendCallback(status.callbackUrl, status, ctx.log, {
      secret: ctx.callbackSecret,
      now: () => ctx.now(),
    });
    await recordCallback(ctx, status, delivery);
  }
}

/** Handle one message body; the caller acknowledges (deletes) it when `ack` is true. */
export async function dispatch(
  ctx: HandlerContext,
  body: string | undefined,
  delivery: Delivery,
): Promise<DispatchResult> {
  const parsed = parseJobMessage(body);
  if (!parsed.ok) {
    ctx.log.warn("poison message", {
      reason: parsed.reason,
      jobId: parsed.jobRef?.jobId,
      receiveCount: delivery.receiveCount,
    });
    if (parsed.jobRef) {
      let type: unknown;
      try {
        type = (JSON.parse(body ?? "") as { type?: unknown }).type;
      } catch {}
      await failJob(
        ctx,
        { ...parsed.jobRef, kind: kindOf(type) },
        { code: "JOB_INVALID", message: parsed.reason },
        delivery,
      );
    }
    return { ack: false, poison: true, error: new Error(parsed.reason) };
  }
  const msg = parsed.message;
  const ref: JobRef = {
    tenant: msg.tenant,
    jobId: msg.jobId,
    kind: kindOf(msg.type),
    callbackUrl: msg.callbackUrl,
  };
  const fields = { type: msg.type, jobId: msg.jobId, receiveCount: delivery.receiveCount };
  try {
    const result = await route(ctx, msg, delivery);
    ctx.log.info(result.outcome === "skipped" ? "already finished: skipped" : "done", fields);
    if (result.outcome === "succeeded") await notify(ctx, result.status);
    return {
      ack: true,
      outcome: result.outcome,
      status: result.outcome === "succeeded" ? result.status : undefined,
    };
  } catch (e) {
    if (isAlignSamError(e)) {
      ctx.log.warn("job failed", { ...fields, code: e.code, error: e.message });
      const status = await failJob(ctx, ref, { code: e.code, message: e.message }, delivery);
      await notify(ctx, status);
      return { ack: true, outcome: "failed", status };
    }
    const error = e instanceof Error ? e : new Error(String(e));
    ctx.log.error("job error", { ...fields, error: error.message, lastAttempt: delivery.lastAttempt });
    if (delivery.lastAttempt) {
      const status = await failJob(ctx, ref, { code: "INTERNAL", message: error.message }, delivery).catch(
        () => undefined,
      );
      await notify(ctx, status);
    }
    return { ack: false, poison: false, error };
  }
}
