/**
 * Where an evaluation's policy comes from: a shipped folder when it was trained on exactly this
 * training split for this segmenter, otherwise a fresh training run (optionally saved for shipping).
 * Loading a policy trained on other images would leak test images into training, so the training
 * set's hash must match, not just the task name. Either way the policy runs on the models its card
 * names (the classic encoder, the explicit branch's prior); a fresh run keeps the shipped card's.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AlignSamError, isAlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type { PromptableSegmenter, VisionLanguagePrior } from "../models/ports.ts";
import { type TrainProgress, trainingSetHash, trainPolicy } from "../pipeline/index.ts";
import { type PolicyCard, PolicyCardSchema } from "../policy/card.ts";
import type { Policy } from "../policy/policy.ts";
import { loadPolicy, savePolicy } from "../policy/store.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
import { cachingSegmenter } from "./caching-segmenter.ts";
import type { PolicyInfo } from "./evaluation-doc.ts";

export interface PolicySourceOptions {
  /** Folder of the shipped policy for this task (card.json, weights.json, weights.bin). */
  readonly dir: string;
  /** Train even when a matching policy is shipped. */
  readonly retrain: boolean;
  /** Save a policy trained here to `dir`. */
  readonly save: boolean;
  readonly seed: number;
  readonly epochs: number;
  readonly ppoEpochs: number;
  /** Episodes per PPO update. @default 1 (the paper) */
  readonly episodesPerUpdate?: number;
  readonly steps: number;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Called with a one-line reason when a shipped policy exists but is not used. */
  readonly onSkip?: (reason: string) => void;
}

export interface PolicySample {
  readonly id: string;
  readonly image: RgbImage;
  readonly mask: BinaryMask;
  readonly texts?: readonly string[];
}

/** What a report says about a policy: where it came from, its settings and its training run. */
export function describePolicy(
  policy: Policy,
  source: PolicyInfo["source"],
  trainingMs: number,
  path?: string,
): PolicyInfo {
  const card = policy.card;
  const prior =
    card.prior.kind === "unused"
      ? "unused (implicit branch)"
      : card.prior.kind === "none"
        ? "none (M_c = 1)"
        : card.prior.modelId;
  return {
    source,
    ...(path !== undefined ? { path } : {}),
    trainingMs,
    epochs: card.hyperparameters.epochs,
    steps: card.hyperparameters.steps,
    episodes: card.training.episodes,
    finalMeanReward: card.training.finalMeanReward,
    prior,
    timingsMs: { ...card.training.timingsMs },
  };
}

/** Why a shipped policy cannot stand in for training on `samples` (undefined when it can). */
function mismatch(
  policy: Policy,
  task: TaskDefinition,
  samples: readonly PolicySample[],
  o: PolicySourceOptions,
): string | undefined {
  const card = policy.card;
  if (card.task.name !== task.name) return `it is for task "${card.task.name}"`;
  if (card.trainingSet.sha256 !== trainingSetHash(samples)) return "it was trained on another training split";
  if (card.hyperparameters.steps !== o.steps)
    return `it was trained with T = ${card.hyperparameters.steps}, not ${o.steps}`;
  return undefined;
}

/** What a policy runs on: its segmenter and, on the explicit branch, M_c's source ("none": M_c = 1). */
export interface PolicyModels {
  readonly segmenter: PromptableSegmenter;
  readonly prior?: VisionLanguagePrior | "none";
}

/**
 * The models a card names: `handcrafted` when the card's segmenter is that one (or there is no
 * card), else the classic segmenter with the card's learned/combined encoder, behind its own
 * per-image embedding cache (its embeddings are not the handcrafted ones); the built-in CenterNet
 * prior when the card was trained with it, M_c = 1 otherwise on the explicit branch.
 */
export async function openPolicyModels(
  task: TaskDefinition,
  card: PolicyCard | undefined,
  handcrafted: PromptableSegmenter,
): Promise<PolicyModels> {
  let segmenter = handcrafted;
  const modelId = card?.segmenter.modelId;
  if (card && card.segmenter.backend === "classic" && modelId !== handcrafted.info.modelId) {
    const { encoderOfModelId, openClassicSegmenter } = await import("../models/centernet/index.ts");
    const encoder = encoderOfModelId(card.segmenter.modelId);
    if (encoder && encoder !== "handcrafted")
      segmenter = cachingSegmenter(await openClassicSegmenter({ encoder }));
  }
  if (task.branch !== "explicit") return { segmenter };
  if (card?.prior.kind !== "model") return { segmenter, prior: "none" };
  const { backend, modelId: priorId } = card.prior;
  const { createCenterNetPrior } = await import("../models/centernet/index.ts");
  const prior = createCenterNetPrior();
  if (backend !== prior.info.backend || priorId !== prior.info.modelId) {
    throw new AlignSamError(
      "PRIOR_UNAVAILABLE",
      `the policy for task "${task.name}" was trained with the prior ${backend}/${priorId}; the evaluation has ${prior.info.backend}/${prior.info.modelId}`,
      { backend, modelId: priorId },
    );
  }
  return { segmenter, prior };
}

/** The shipped card in `dir` for this task, or undefined (none, unreadable, or another task's). */
async function shippedCard(dir: string, task: TaskDefinition): Promise<PolicyCard | undefined> {
  const path = join(dir, "card.json");
  if (!existsSync(path)) return undefined;
  const parsed = PolicyCardSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
  return parsed.success && parsed.data.task.name === task.name ? parsed.data : undefined;
}

/**
 * The policy to evaluate for a task, how it was obtained, and the models to run it on. `segmenter`
 * is the handcrafted one (shared with the baselines); a card naming another encoder gets its own.
 * @example const { policy, info, models } = await obtainPolicy(task, train, segmenter, { dir: "policies/blur", ... });
 */
export async function obtainPolicy(
  task: TaskDefinition,
  samples: readonly PolicySample[],
  segmenter: PromptableSegmenter,
  o: PolicySourceOptions,
): Promise<{ policy: Policy; info: PolicyInfo; models: PolicyModels }> {
  const card = await shippedCard(o.dir, task);
  const models = await openPolicyModels(task, card, segmenter);
  if (!o.retrain && existsSync(join(o.dir, "card.json"))) {
    try {
      const shipped = await loadPolicy(o.dir, { segmenterInfo: models.segmenter.info });
      const why = mismatch(shipped, task, samples, o);
      if (why === undefined)
        return {
          policy: shipped,
          info: describePolicy(shipped, "loaded", shipped.card.training.durationMs, o.dir),
          models,
        };
      shipped.dispose();
      o.onSkip?.(`not using ${o.dir}: ${why}`);
    } catch (e) {
      if (!isAlignSamError(e)) throw e;
      o.onSkip?.(`not using ${o.dir}: ${e.message}`);
    }
  }
  const started = performance.now();
  const policy = await trainPolicy(samples, task, {
    segmenter: models.segmenter,
    ...(models.prior !== undefined ? { prior: models.prior } : {}),
    seed: o.seed,
    epochs: o.epochs,
    ppoEpochs: o.ppoEpochs,
    episodesPerUpdate: o.episodesPerUpdate ?? 1,
    steps: o.steps,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  const trainingMs = performance.now() - started;
  if (o.save) await savePolicy(policy, o.dir);
  return { policy, info: describePolicy(policy, "trained", trainingMs), models };
}
