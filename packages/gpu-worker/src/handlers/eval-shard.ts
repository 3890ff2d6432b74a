/**
 * `eval-shard`: segment and score the shard's images (one per-image document each, skipped when
 * already written by an earlier delivery), write the shard's done marker, then list the markers:
 * the shard that sees all of them enqueues `eval-reduce`. Two shards finishing together may both
 * enqueue it; the reduce is idempotent. A redelivered finished shard only repeats the check.
 */
import {
  AlignSamError,
  type EvalShardMessage,
  type EvaluationManifest,
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationPerImageKey,
  evaluationShardDoneKey,
  evaluationShardsPrefix,
  isAlignSamError,
  isTerminal,
  type PerImageMetrics,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";
import { confusion } from "../core.ts";
import { loadLabelled } from "../datasets.ts";
import { type JobRef, readStatus, startJob } from "../job-status.ts";
import { resolvePolicy, resolveTenantTask } from "../policy-store.ts";
import { acceptedAt, recordUsage, secondsSince } from "../usage.ts";
import { type HandlerResult, holdForFaultInjection } from "./result.ts";

/** Error codes that condemn one image, not the evaluation. */
const DATA_ERRORS: ReadonlySet<string> = new Set([
  "IMAGE_EMPTY",
  "IMAGE_DECODE",
  "IMAGE_UNSUPPORTED_FORMAT",
  "IMAGE_TOO_LARGE",
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
  const shard = manifest.shards[msg.shard];
  if (!shard) {
    throw new AlignSamError(
      "JOB_INVALID",
      `evaluation "${msg.evalId}" has ${manifest.shards.length} shards, not ${msg.shard + 1}`,
    );
  }
  const ref = evaluationJobRef(msg.tenant, manifest);
  const status = await readStatus(ctx, ref);
  if (status && isTerminal(status.state)) return { outcome: "skipped" };

  const doneKey = evaluationShardDoneKey(msg.tenant, msg.evalId, msg.shard);
  if ((await ctx.storage.getBytes(doneKey)) === undefined) {
    // Only the first shard moves the job to running; later shards leave the status alone, so no
    // stale shard write can land after the reduce's terminal one.
    // Progress counts shards (as the API's queued status does); GET /v1/jobs and
    // /v1/evaluations count the done markers while the evaluation runs.
    if (!status || status.state === "queued") await startJob(ctx, ref, delivery, manifest.shards.length);
    await holdForFaultInjection(ctx, delivery);
    const policy = await resolvePolicy(ctx.storage, manifest.task, manifest.policyVersion, msg.tenant);
    const task = await resolveTenantTask(ctx.storage, ctx.tasks, msg.tenant, manifest.task, policy);
    const failed: string[] = [];
    const accepted = acceptedAt(msg, status, ctx.now());
    for (const item of shard.items) {
      const key = evaluationPerImageKey(msg.tenant, msg.evalId, item.id);
      const previous = await ctx.storage.getBytes(key);
      if (previous !== undefined) {
        if (JSON.parse(Buffer.from(previous).toString("utf8")).error) failed.push(item.id);
        continue;
      }
      const started = Date.now();
      let doc: PerImageMetrics;
      try {
        const sample = await loadLabelled(ctx.storage, msg.tenant, manifest.datasetId, item, ctx.imageLimits);
        const modelStart = performance.now();
        const outcome = await ctx.engine.segment({
          task,
          image: sample.image,
          policy,
          className: manifest.className,
          greedy: true,
          seed: 0,
        });
        const modelSeconds = secondsSince(modelStart);
        const metrics = ctx.engine.scoreImage(task, outcome, sample.mask);
        // Intersection and union for the reduce's class-pooled mIoU (the same counts the metrics used).
        const counts = confusion(outcome.mask, sample.mask);
        // Metered before the per-image document that marks the image done (a failed image is not billed).
        await recordUsage(ctx, {
          tenant: msg.tenant,
          jobId: manifest.jobId,
          task: manifest.task,
          acceptedAt: accepted,
          unit: { kind: "evaluation-image", imageId: item.id },
          images: 1,
          steps: outcome.trajectory.length,
          modelSeconds,
        });
        doc = {
          v: 1,
          evalId: msg.evalId,
          imageId: item.id,
          shard: msg.shard,
          metrics: { ...metrics },
          counts,
          ...(manifest.className ? { className: manifest.className } : {}),
          durationMs: Date.now() - started,
        };
      } catch (e) {
        // A bad image is the data's fault, not the worker's: record it and go on. Anything else
        // (no policy, an unknown task, S3 down) fails or retries the shard as a whole.
        if (!isAlignSamError(e) || !DATA_ERRORS.has(e.code)) throw e;
        failed.push(item.id);
        doc = {
          v: 1,
          evalId: msg.evalId,
          imageId: item.id,
          shard: msg.shard,
          metrics: {},
          error: { code: e.code, message: e.message },
          durationMs: Date.now() - started,
        };
      }
      await ctx.storage.putJson(key, doc);
    }
    await ctx.storage.putJson(doneKey, {
      v: 1,
      evalId: msg.evalId,
      shard: msg.shard,
      images: shard.items.length,
      failed,
      finishedAt: ctx.now().toISOString(),
      ...(ctx.workerId ? { worker: ctx.workerId } : {}),
    });
  }

  const markers = (await ctx.storage.list(evaluationShardsPrefix(msg.tenant, msg.evalId))).filter((k) =>
    k.endsWith("/done.json"),
  );
  if (markers.length >= manifest.shards.length) {
    ctx.log.info("last shard done: enqueueing reduce", { evalId: msg.evalId, shards: markers.length });
    await ctx.enqueue({
      v: 1,
      type: "eval-reduce",
      jobId: manifest.jobId,
      tenant: msg.tenant,
      evalId: msg.evalId,
    });
  }
  return { outcome: "succeeded" };
}
