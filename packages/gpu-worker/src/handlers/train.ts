/**
 * `train`: the retraining flow, for one tenant. Split the labelled set (deterministic, by id), train
 * a candidate on the training part, score candidate and the tenant's current version (else the
 * bundled policy) on the same held-out images, store the candidate as the tenant's version
 * `<jobId>`, and promote it for that tenant only if the promotion guard allows
 * (@alignsam/core promotion-guard.ts: enough held-out and training images, minimum settings, a
 * paired difference that is not negative) and the run asked for automatic promotion. The decision
 * (scores, paired difference and its standard error, the reason) is written before the pointer, so
 * a redelivery after a crash applies the recorded decision instead of judging the candidate against
 * itself. While it trains, the job status carries live progress (`training`).
 */
import { createHash } from "node:crypto";
import {
  AlignSamError,
  heldOutCount,
  jobResultKey,
  MIN_HELD_OUT_IMAGES,
  MIN_TRAIN_IMAGES,
  MIN_TRAINING_SETTINGS,
  type PolicyScore,
  type PromotionDecision,
  PromotionDecisionSchema,
  type PromotionDifference,
  promotionDifference,
  promotionVerdict,
  type TaskDefinition,
  TRAINING_DEFAULTS,
  type TrainingProgress,
  type TrainMessage,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";
import { listLabelled, loadLabelled } from "../datasets.ts";
import type { LabelledImage, PolicyScoreResult, StoredPolicy, TrainDetail } from "../engine.ts";
import { reportTraining, startJob, succeedJob } from "../job-status.ts";
import {
  loadPolicyVersion,
  promoteVersion,
  readCurrentPointer,
  resolveTenantTask,
  savePolicyVersion,
} from "../policy-store.ts";
import { acceptedAt, recordUsage, secondsSince } from "../usage.ts";
import { type HandlerResult, holdForFaultInjection } from "./result.ts";

/** The task being trained: as defined in the message, built in, the tenant's own, or its card's. */
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
  const pointer = await readCurrentPointer(ctx.storage, msg.task, msg.tenant);
  const current = pointer
    ? await loadPolicyVersion(ctx.storage, msg.task, pointer.version, msg.tenant)
    : undefined;
  return resolveTenantTask(ctx.storage, ctx.tasks, msg.tenant, msg.task, current ?? null);
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

/** Hold out `count` ids, chosen by a seeded hash of each id (deterministic for a given set). */
function splitByCount(ids: readonly string[], count: number, seed: number) {
  const rank = (id: string) => createHash("sha256").update(`${seed}\u0000${id}`).digest().readUInt32BE(0);
  const ranked = [...new Set(ids)].sort().sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const heldOut = ranked.slice(0, count).sort();
  const train = ranked.slice(count).sort();
  const heldOutId = createHash("sha256")
    .update(`${seed}\u0000${heldOut.join("\u0000")}`)
    .digest("hex")
    .slice(0, 16);
  return { train, heldOut, heldOutId };
}

/** Baselines the candidate's card records, for the report. */
function cardBaselines(files: ReadonlyMap<string, Uint8Array>): Record<string, number | null> {
  const bytes = files.get("card.json");
  if (!bytes) return {};
  const card = JSON.parse(Buffer.from(bytes).toString("utf8")) as {
    srmFit?: { outOfFoldIou?: number };
    training?: { finalMeanReward?: number; curves?: { randomClicks?: number } };
  };
  return {
    srmMapOutOfFoldIou: card.srmFit?.outOfFoldIou ?? null,
    randomClicksIou: card.training?.curves?.randomClicks ?? null,
    finalMeanReward: card.training?.finalMeanReward ?? null,
  };
}

/** Turns the engine's training detail into the status's progress, written at most every 2 s. */
function progressTracker(ctx: HandlerContext, initial: Awaited<ReturnType<typeof startJob>>) {
  let status = initial;
  const started = performance.now();
  let lastWrite = 0;
  let writing: Promise<void> = Promise.resolve();
  const state: TrainingProgress = {
    phase: "loading",
    episodesDone: 0,
    episodesTotal: 0,
    reward: null,
    srmLoss: null,
    elapsedSeconds: 0,
    etaSeconds: null,
  };
  let current = state;
  const flush = (force: boolean) => {
    if (!status || (!force && Date.now() - lastWrite < 2000)) return writing;
    lastWrite = Date.now();
    const snapshot = { ...current, elapsedSeconds: secondsSince(started) };
    writing = writing.then(async () => {
      if (!status) return;
      status = await reportTraining(ctx, status, snapshot).catch(() => status);
    });
    return writing;
  };
  return {
    get status() {
      return status;
    },
    phase(phase: TrainingProgress["phase"]) {
      current = { ...current, phase };
      return flush(true);
    },
    detail(d: TrainDetail) {
      if (d.phase === "encode") current = { ...current, phase: "encode" };
      else if (d.phase === "srm") current = { ...current, phase: "srm", srmLoss: d.loss };
      else {
        const perEpisode = d.elapsedMs / 1000 / Math.max(1, d.episode);
        current = {
          ...current,
          phase: "ppo",
          episodesDone: d.episode,
          episodesTotal: d.episodes,
          reward: d.meanReward,
          etaSeconds: Math.max(0, perEpisode * (d.episodes - d.episode)),
        };
      }
      void flush(false);
    },
    settle: () => writing,
  };
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
    const tracker = progressTracker(ctx, status);
    await tracker.phase("loading");
    const split = splitByCount(
      items.map((i) => i.id),
      heldOutCount(items.length, msg.heldOutFraction),
      msg.splitSeed,
    );
    const byId = new Map(items.map((i) => [i.id, i]));
    const load = (ids: readonly string[]) =>
      Promise.all(
        ids.map((id) => loadLabelled(ctx.storage, msg.tenant, msg.datasetId, byId.get(id)!, ctx.imageLimits)),
      );
    const train: LabelledImage[] = await load(split.train);
    const heldOut: LabelledImage[] = await load(split.heldOut);

    // The tenant's current version's card says which encoder and prior the candidate is trained
    // with (else the bundled policy's, else the defaults).
    const basisPointer = await readCurrentPointer(ctx.storage, task.name, msg.tenant);
    const basis = basisPointer
      ? await loadPolicyVersion(ctx.storage, task.name, basisPointer.version, msg.tenant)
      : undefined;
    const modelStart = performance.now();
    const trained = await ctx.engine.train({
      task,
      samples: train,
      options: msg.options,
      basis: basis ?? null,
      onDetail: (d) => tracker.detail(d),
    });
    const trainingSeconds = secondsSince(modelStart);
    const candidate: StoredPolicy = {
      tenant: msg.tenant,
      task: task.name,
      version: msg.jobId,
      files: trained.files,
    };
    await savePolicyVersion(ctx.storage, candidate);

    await tracker.phase("evaluate");
    const splitId = `${msg.datasetId}:${split.heldOutId}`;
    const asScore = (r: PolicyScoreResult): PolicyScore => ({
      metric: r.metric,
      value: r.value,
      higherIsBetter: r.higherIsBetter,
      splitId,
      images: heldOut.length,
    });
    const candidateResult = await ctx.engine.evaluatePolicy(task, candidate, heldOut);
    // Judged against what serves the tenant now: its promoted version, else the bundled policy.
    const pointer = await readCurrentPointer(ctx.storage, task.name, msg.tenant);
    const previous = !pointer
      ? null
      : basis && basis.version === pointer.version
        ? basis
        : ((await loadPolicyVersion(ctx.storage, task.name, pointer.version, msg.tenant)) ?? null);
    let previousResult: PolicyScoreResult | null = null;
    let previousSource: "tenant" | "bundled" | "none" = previous ? "tenant" : "bundled";
    try {
      previousResult = await ctx.engine.evaluatePolicy(task, previous, heldOut);
    } catch (e) {
      if (!(e instanceof AlignSamError && e.code === "POLICY_NOT_FOUND") || previous) throw e;
      previousSource = "none";
    }
    const metric = candidateResult.metric;
    const perImage = (r: PolicyScoreResult) => r.perImage.map((v) => v[metric] ?? Number.NaN);
    const difference: PromotionDifference | null = previousResult
      ? promotionDifference(
          perImage(candidateResult),
          perImage(previousResult),
          metric,
          candidateResult.higherIsBetter,
        )
      : null;
    const verdict = promotionVerdict({
      trainImages: train.length,
      heldOutImages: heldOut.length,
      episodes: msg.options.episodes,
      steps: msg.options.steps,
      difference,
    });
    const promoted = verdict.promotable && msg.promote === "auto";
    // Metered before the decision that marks the run done: a redelivery that finds the decision
    // skips training, and its record is already there (one record per job, whatever the retries).
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
      candidateScore: asScore(candidateResult),
      previousScore: previousResult ? asScore(previousResult) : null,
      promoted,
      reason:
        verdict.promotable && !promoted
          ? `promotable (${verdict.reason}); left for POST /v1/tasks/${task.name}/policies/${candidate.version}/promote`
          : verdict.reason,
      trainImages: train.length,
      heldOutImages: heldOut.length,
      decidedAt: ctx.now().toISOString(),
      tenant: msg.tenant,
      datasetId: msg.datasetId,
      previousSource,
      promotable: verdict.promotable,
      pairedDifference: difference,
      guard: {
        minHeldOutImages: MIN_HELD_OUT_IMAGES,
        minTrainImages: MIN_TRAIN_IMAGES,
        minEpisodes: MIN_TRAINING_SETTINGS.episodes,
        minSteps: MIN_TRAINING_SETTINGS.steps,
      },
      baselines: cardBaselines(trained.files),
      ...(msg.keyId ? { keyId: msg.keyId } : {}),
      trainingSeconds,
    } satisfies PromotionDecision);
    await ctx.storage.putJson(decisionKey, decision);
    await tracker.phase("done");
    await tracker.settle();
    status = tracker.status ?? status;
  }

  if (decision.promoted) {
    await promoteVersion(ctx.storage, msg.tenant, decision.task, {
      version: decision.candidateVersion,
      promotedAt: decision.decidedAt,
      by: "training",
      jobId: msg.jobId,
      score: decision.candidateScore,
      ...(decision.keyId ? { keyId: decision.keyId } : {}),
    });
  }
  const done = await succeedJob(
    ctx,
    status,
    { "training.json": decisionKey },
    {
      promoted: decision.promoted,
      promotable: decision.promotable ?? decision.promoted,
      candidateVersion: decision.candidateVersion,
      previousVersion:
        decision.previousVersion ??
        (decision.previousSource === "bundled" ? `bundled:${decision.task}` : null),
      candidateScore: decision.candidateScore.value,
      previousScore: decision.previousScore?.value ?? null,
      metric: decision.candidateScore.metric,
      pairedDifference: decision.pairedDifference ?? null,
      reason: decision.reason,
    },
  );
  return { outcome: "succeeded", status: done };
}
