/**
 * `eval-shard`: segment and score the shard's images, one per-image document each (skipped when
 * already written by an earlier delivery); the shard loop, its done marker and the `eval-reduce`
 * that the last shard enqueues are ./shard-run.ts's, shared with `batch-shard`.
 */
import {
  AlignSamError,
  type EvalShardMessage,
  type EvaluationItem,
  type EvaluationManifest,
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationPerImageKey,
  evaluationShardDoneKey,
  evaluationShardsPrefix,
  type PerImageMetrics,
} from "@alignsam/core/light";
import { confusion } from "@alignsam/core/metrics";
import type { Delivery, HandlerContext } from "../context.ts";
import { loadLabelled } from "../datasets.ts";
import type { JobRef } from "../job-status.ts";
import type { HandlerResult } from "./result.ts";
import { IMAGE_DATA_ERRORS, runShard, type ShardedJob } from "./shard-run.ts";

/** Error codes that condemn one image, not the evaluation: a bad image, mask or pair. */
const DATA_ERRORS: ReadonlySet<string> = new Set([
  ...IMAGE_DATA_ERRORS,
  "MASK_DECODE",
  "MASK_SHAPE",
  "DATASET_NOT_FOUND",
  "DATASET_MISMATCH",
]);

/** Read an evaluation's manifest, refusing (permanently) a message that names none. */
export async function readManifest(
  ctx: HandlerContext,
  tenant: string,
  evalId: string,
): Promise<EvaluationManifest> {
  const manifest = await ctx.storage.getJson(evaluationManifestKey(tenant, evalId), EvaluationManifestSchema);
  if (!manifest) throw new AlignSamError("JOB_INVALID", `evaluation "${evalId}" has no manifest`);
  return manifest;
}

/** The evaluation's job (its status, progress and callback), which every shard and the reduce share. */
export function evaluationJobRef(tenant: string, manifest: EvaluationManifest): JobRef {
  return { tenant, jobId: manifest.jobId, kind: "evaluation", callbackUrl: manifest.callbackUrl };
}

export async function handleEvalShard(
  ctx: HandlerContext,
  msg: EvalShardMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const manifest = await readManifest(ctx, msg.tenant, msg.evalId);
  const job: ShardedJob<EvaluationItem> = {
    label: `evaluation "${msg.evalId}"`,
    manifest,
    msg,
    ref: evaluationJobRef(msg.tenant, manifest),
    // Progress counts shards (as the API's queued status does); GET /v1/jobs and
    // /v1/evaluations count the done markers while the evaluation runs.
    progressTotal: manifest.shards.length,
    doneKey: evaluationShardDoneKey(msg.tenant, msg.evalId, msg.shard),
    shardsPrefix: evaluationShardsPrefix(msg.tenant, msg.evalId),
    id: { evalId: msg.evalId },
    dataErrors: DATA_ERRORS,
    reduce: { v: 1, type: "eval-reduce", jobId: manifest.jobId, tenant: msg.tenant, evalId: msg.evalId },
  };
  const docKey = (item: EvaluationItem) => evaluationPerImageKey(msg.tenant, msg.evalId, item.id);
  return runShard(ctx, delivery, job, async (shard) => ({
    async previous(item) {
      const previous = await ctx.storage.getBytes(docKey(item));
      if (previous === undefined) return undefined;
      return JSON.parse(Buffer.from(previous).toString("utf8")).error ? "failed" : "ok";
    },
    async run(item, started) {
      const sample = await loadLabelled(ctx.storage, msg.tenant, manifest.datasetId, item, ctx.imageLimits);
      const { outcome, modelSeconds } = await shard.segment(sample.image);
      const metrics = ctx.engine.scoreImage(shard.task, outcome, sample.mask);
      // Intersection and union for the reduce's class-pooled mIoU (the same counts the metrics used).
      const counts = confusion(outcome.mask, sample.mask);
      await shard.meter(
        { kind: "evaluation-image", imageId: item.id },
        outcome.trajectory.length,
        modelSeconds,
      );
      const doc: PerImageMetrics = {
        v: 1,
        evalId: msg.evalId,
        imageId: item.id,
        shard: msg.shard,
        metrics: { ...metrics },
        counts,
        ...(manifest.className ? { className: manifest.className } : {}),
        durationMs: Date.now() - started,
      };
      await ctx.storage.putJson(docKey(item), doc);
    },
    async fail(item, e, started) {
      const doc: PerImageMetrics = {
        v: 1,
        evalId: msg.evalId,
        imageId: item.id,
        shard: msg.shard,
        metrics: {},
        error: { code: e.code, message: e.message },
        durationMs: Date.now() - started,
      };
      await ctx.storage.putJson(docKey(item), doc);
    },
  }));
}
