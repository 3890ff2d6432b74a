/**
 * Where an evaluation's policy comes from: a shipped folder when it was trained on exactly this
 * training split for this segmenter, otherwise a fresh training run (optionally saved for shipping).
 * Loading a policy trained on other images would leak test images into training, so the training
 * set's hash must match, not just the task name.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isAlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type { PromptableSegmenter } from "../models/ports.ts";
import { type TrainProgress, trainingSetHash, trainPolicy } from "../pipeline/index.ts";
import type { Policy } from "../policy/policy.ts";
import { loadPolicy, savePolicy } from "../policy/store.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
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

function describe(
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

/**
 * The policy to evaluate for a task, and how it was obtained.
 * @example const { policy, info } = await obtainPolicy(task, train, segmenter, { dir: "policies/blur", ... });
 */
export async function obtainPolicy(
  task: TaskDefinition,
  samples: readonly PolicySample[],
  segmenter: PromptableSegmenter,
  o: PolicySourceOptions,
): Promise<{ policy: Policy; info: PolicyInfo }> {
  if (!o.retrain && existsSync(join(o.dir, "card.json"))) {
    try {
      const shipped = await loadPolicy(o.dir, { segmenterInfo: segmenter.info });
      const why = mismatch(shipped, task, samples, o);
      if (why === undefined)
        return {
          policy: shipped,
          info: describe(shipped, "loaded", shipped.card.training.durationMs, o.dir),
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
    segmenter,
    ...(task.branch === "explicit" ? { prior: "none" as const } : {}),
    seed: o.seed,
    epochs: o.epochs,
    ppoEpochs: o.ppoEpochs,
    episodesPerUpdate: o.episodesPerUpdate ?? 1,
    steps: o.steps,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  const trainingMs = performance.now() - started;
  if (o.save) await savePolicy(policy, o.dir);
  return { policy, info: describe(policy, "trained", trainingMs) };
}
