/**
 * `train`: the retraining flow. Split the labelled set (deterministic, by id), train a candidate on
 * the training part, score candidate and current version on the same held-out part, store the
 * candidate as version `<jobId>`, and promote it (rewrite current.json) only if it is not worse.
 * The decision (both scores, the reason) is written before the pointer, so a redelivery after a
 * crash applies the recorded decision instead of judging the candidate against itself.
 */
import {
  AlignSamError,
  isNotWorse,
  jobResultKey,
  type PolicyScore,
  type PromotionDecision,
  PromotionDecisionSchema,
  splitHeldOut,
  type TaskDefinition,
  TRAINING_DEFAULTS,
  type TrainMessage,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";
import { listLabelled, loadLabelled } from "../datasets.ts";
import type { LabelledImage, StoredPolicy } from "../engine.ts";
import { reportProgress, startJob, succeedJob } from "../job-status.ts";
import {
  loadPolicyVersion,
  readCurrentPointer,
  resolveTaskDefinition,
  savePolicyVersion,
  writeCurrentPointer,
} from "../policy-store.ts";
import { acceptedAt, recordUsage, secondsSince } from "../usage.ts";
import { type HandlerResult, holdForFaultInjection } from "./result.ts";

/** The task being trained: as defined in the message, built in, or as its current policy recorded it. */
async function resolveTask(ctx: HandlerContext, msg: TrainMessage): Promise<TaskDefinition> {
  if (msg.taskDefinition) {
    if (msg.taskDefinition.name !== msg.task) {
      throw new AlignSamError(
        "JOB_INVALID",
        `taskDefinition names "${msg.taskDefinition.name}" but the job trains "${msg.task}"`,
      );
    }
    return msg.taskDefinition;
  }
  if (ctx.tasks.has(msg.task)) return ctx.tasks.get(msg.task);
  const pointer = await readCurrentPointer(ctx.storage, msg.task);
  const current = pointer ? await loadPolicyVersion(ctx.storage, msg.task, pointer.version) : undefined;
  return resolveTaskDefinition(ctx.tasks, msg.task, current ?? null);
}

/**
 * Prompting steps of a training run: what the engine reports (info.steps), else episodes x images x
 * T from the options and the training defaults.
 */
function trainingSteps(info: Readonly<Record<string, unknown>>, images: number, msg: TrainMessage): number {
  const reported = info.steps ?? info.promptingSteps;
  if (typeof reported === "number" && Number.isInteger(reported) && reported >= 0) return reported;
  return (
    (msg.options.episodes ?? TRAINING_DEFAULTS.epochs) *
    images *
    (msg.options.steps ?? TRAINING_DEFAULTS.steps)
  );
}

export async function handleTrain(
  ctx: HandlerContext,
  msg: TrainMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const ref = { tenant: msg.tenant, jobId: msg.jobId, kind: "train" as const, callbackUrl: msg.callbackUrl };
  let status = await startJob(ctx, ref, delivery);
  if (!status) return { outcome: "skipped" };
  await holdForFaultInjection(ctx, delivery);
  const task = await resolveTask(ctx, msg);
  const decisionKey = jobResultKey(msg.tenant, msg.jobId, "training.json");
  let decision = await ctx.storage.getJson(decisionKey, PromotionDecisionSchema);

  if (!decision) {
    const items = await listLabelled(ctx.storage, msg.tenant, msg.datasetId);
    const limit = ctx.maxTrainImages ?? 500;
    if (items.length < 2) {
      throw new AlignSamError(
        "DATASET_NOT_FOUND",
        `dataset "${msg.datasetId}" has ${items.length} labelled images; need at least 2`,
      );
    }
    if (items.length > limit) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `dataset "${msg.datasetId}" has ${items.length} images; the limit is ${limit}`,
      );
    }
    const split = splitHeldOut(
      items.map((i) => i.id),
      msg.heldOutFraction,
      msg.splitSeed,
    );
    const byId = new Map(items.map((i) => [i.id, i]));
    const load = (ids: readonly string[]) =>
      Promise.all(
        ids.map((id) => loadLabelled(ctx.storage, msg.tenant, msg.datasetId, byId.get(id)!, ctx.imageLimits)),
      );
    const train: LabelledImage[] = await load(split.train);
    const heldOut: LabelledImage[] = await load(split.heldOut);

    // The current version's card says which encoder and prior the candidate is trained with.
    const basisPointer = await readCurrentPointer(ctx.storage, task.name);
    const basis = basisPointer
      ? await loadPolicyVersion(ctx.storage, task.name, basisPointer.version)
      : undefined;
    let lastReport = 0;
    const modelStart = performance.now();
    const trained = await ctx.engine.train({
      task,
      samples: train,
      options: msg.options,
      basis: basis ?? null,
      onProgress: async (done, total) => {
        if (Date.now() - lastReport < 2000 || !status) return;
        lastReport = Date.now();
        status = await reportProgress(ctx, status, done, total);
      },
    });
    const candidate: StoredPolicy = { task: task.name, version: msg.jobId, files: trained.files };
    await savePolicyVersion(ctx.storage, candidate);

    const splitId = `${msg.datasetId}:${split.heldOutId}`;
    const score = async (policy: StoredPolicy): Promise<PolicyScore> => {
      const r = await ctx.engine.evaluatePolicy(task, policy, heldOut);
      return {
        metric: r.metric,
        value: r.value,
        higherIsBetter: r.higherIsBetter,
        splitId,
        images: heldOut.length,
      };
    };
    const candidateScore = await score(candidate);
    const pointer = await readCurrentPointer(ctx.storage, task.name);
    const previous = !pointer
      ? undefined
      : basis && basis.version === pointer.version
        ? basis
        : await loadPolicyVersion(ctx.storage, task.name, pointer.version);
    const previousScore = previous ? await score(previous) : null;
    const promoted = isNotWorse(candidateScore, previousScore);
    // Metered before the decision that marks the run done: a redelivery that finds the decision
    // skips training, and its record is already there.
    await recordUsage(ctx, {
      tenant: msg.tenant,
      jobId: msg.jobId,
      task: task.name,
      acceptedAt: acceptedAt(msg, status, ctx.now()),
      unit: { kind: "train" },
      images: train.length + heldOut.length,
      steps: trainingSteps(trained.info, train.length, msg),
      modelSeconds: secondsSince(modelStart),
    });
    decision = PromotionDecisionSchema.parse({
      v: 1,
      task: task.name,
      jobId: msg.jobId,
      candidateVersion: candidate.version,
      previousVersion: previous ? previous.version : null,
      candidateScore,
      previousScore,
      promoted,
      reason: !previousScore
        ? "the task had no current policy"
        : promoted
          ? `candidate ${candidateScore.metric} ${candidateScore.value.toFixed(4)} is not worse than ${previousScore.value.toFixed(4)}`
          : `candidate ${candidateScore.metric} ${candidateScore.value.toFixed(4)} is worse than ${previousScore.value.toFixed(4)}`,
      trainImages: train.length,
      heldOutImages: heldOut.length,
      decidedAt: ctx.now().toISOString(),
    } satisfies PromotionDecision);
    await ctx.storage.putJson(decisionKey, decision);
  }

  if (decision.promoted) {
    await writeCurrentPointer(ctx.storage, {
      v: 1,
      task: decision.task,
      version: decision.candidateVersion,
      score: decision.candidateScore,
      promotedAt: decision.decidedAt,
      jobId: msg.jobId,
    });
  }
  const done = await succeedJob(
    ctx,
    status,
    { "training.json": decisionKey },
    {
      promoted: decision.promoted,
      candidateVersion: decision.candidateVersion,
      previousVersion: decision.previousVersion,
      candidateScore: decision.candidateScore.value,
      previousScore: decision.previousScore?.value ?? null,
      metric: decision.candidateScore.metric,
      reason: decision.reason,
    },
  );
  return { outcome: "succeeded", status: done };
}
