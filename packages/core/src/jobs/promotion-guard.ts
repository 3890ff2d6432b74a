/**
 * The promotion guard: a candidate replaces what serves a tenant's task only when the evidence is
 * worth something. Candidate and current (or bundled) policy are scored on the same held-out images;
 * with fewer than MIN_HELD_OUT_IMAGES of them, fewer than MIN_TRAIN_IMAGES training images or fewer
 * than the minimum training settings, the run still finishes and stores its version, but it is not
 * promoted and says why. Otherwise it is promoted when the mean paired difference (candidate minus
 * current, signed so that positive is better) is not negative.
 */
import { z } from "zod";
import { TRAINING_DEFAULTS } from "../pipeline/defaults.ts";

/** Held-out images both policies are scored on before a promotion. */
export const MIN_HELD_OUT_IMAGES = 20;
/** Training images a promotable candidate was trained on. */
export const MIN_TRAIN_IMAGES = 10;
/** Minimum training settings of a promotable candidate (options below these train, never promote). */
export const MIN_TRAINING_SETTINGS = { episodes: 1, steps: 3 } as const;

export const PromotionDifferenceSchema = z.object({
  /** Mean over the held-out images of (candidate - baseline), signed so that positive is better. */
  mean: z.number(),
  /** Standard error of that mean (sample sd / sqrt(n)); 0 for one image. */
  standardError: z.number().min(0),
  images: z.int().min(0),
  metric: z.string(),
});
export type PromotionDifference = z.infer<typeof PromotionDifferenceSchema>;

/**
 * Paired difference of per-image scores (same images, same order). `higherIsBetter` false flips
 * the sign so that a positive mean always favours the candidate.
 */
export function promotionDifference(
  candidate: readonly number[],
  baseline: readonly number[],
  metric: string,
  higherIsBetter: boolean,
): PromotionDifference {
  if (candidate.length !== baseline.length) {
    throw new RangeError(`paired scores need equal lengths (${candidate.length} vs ${baseline.length})`);
  }
  const sign = higherIsBetter ? 1 : -1;
  const d = candidate.map((c, i) => sign * (c - baseline[i])).filter((x) => Number.isFinite(x));
  const n = d.length;
  const mean = n > 0 ? d.reduce((a, b) => a + b, 0) / n : 0;
  const variance = n > 1 ? d.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, standardError: n > 1 ? Math.sqrt(variance / n) : 0, images: n, metric };
}

export interface GuardInput {
  readonly trainImages: number;
  readonly heldOutImages: number;
  readonly episodes: number | undefined;
  readonly steps: number | undefined;
  /** Against the current (or bundled) policy; null when the task has neither. */
  readonly difference: PromotionDifference | null;
}

export interface GuardVerdict {
  readonly promotable: boolean;
  readonly reason: string;
}

/** Whether a candidate may be promoted, and why (naming the minimum it missed). */
export function promotionVerdict(input: GuardInput): GuardVerdict {
  const episodes = input.episodes ?? TRAINING_DEFAULTS.epochs;
  const steps = input.steps ?? TRAINING_DEFAULTS.steps;
  const refusals: string[] = [];
  if (input.heldOutImages < MIN_HELD_OUT_IMAGES) {
    refusals.push(
      `${input.heldOutImages} held-out image(s) scored; promotion needs at least ${MIN_HELD_OUT_IMAGES} (upload at least ${MIN_HELD_OUT_IMAGES + MIN_TRAIN_IMAGES} labelled pairs)`,
    );
  }
  if (input.trainImages < MIN_TRAIN_IMAGES) {
    refusals.push(`${input.trainImages} training image(s); promotion needs at least ${MIN_TRAIN_IMAGES}`);
  }
  if (episodes < MIN_TRAINING_SETTINGS.episodes || steps < MIN_TRAINING_SETTINGS.steps) {
    refusals.push(
      `training settings episodes ${episodes}, steps ${steps} are below the minimum (episodes >= ${MIN_TRAINING_SETTINGS.episodes}, steps >= ${MIN_TRAINING_SETTINGS.steps})`,
    );
  }
  if (refusals.length > 0) return { promotable: false, reason: `not promoted: ${refusals.join("; ")}` };
  const d = input.difference;
  if (!d) return { promotable: true, reason: "no current or bundled policy to compare with" };
  const text = `paired difference ${d.metric} ${d.mean >= 0 ? "+" : ""}${d.mean.toFixed(4)} ± ${d.standardError.toFixed(4)} (SE) on ${d.images} held-out images`;
  return d.mean >= 0
    ? { promotable: true, reason: `candidate is not worse: ${text}` }
    : { promotable: false, reason: `not promoted: candidate is worse: ${text}` };
}

/**
 * Held-out size of a labelled set of `n` pairs: enough for the guard when the set allows it
 * (MIN_HELD_OUT_IMAGES, keeping MIN_TRAIN_IMAGES to train on), else `fraction` of it, with at least
 * one image on each side.
 */
export function heldOutCount(n: number, fraction: number): number {
  const wanted = Math.round(fraction * n);
  if (n >= MIN_HELD_OUT_IMAGES + MIN_TRAIN_IMAGES) {
    return Math.min(n - MIN_TRAIN_IMAGES, Math.max(MIN_HELD_OUT_IMAGES, wanted));
  }
  return Math.min(Math.max(1, wanted), Math.max(1, n - 1));
}
