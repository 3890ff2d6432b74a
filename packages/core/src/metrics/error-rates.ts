/**
 * Pixel error measures: MAE (saliency) and BER (shadow detection).
 *
 * BER = 100 * (1 - 0.5 * (TP/Np + TN/Nn)), Np = TP + FN ground-truth foreground pixels, Nn = TN + FP
 * background pixels, void left out; in percent, lower is better. Undefined halves: when Np = 0 the
 * foreground term is dropped and BER = 100 * (1 - TN/Nn) (the background error rate alone); likewise
 * Nn = 0 gives 100 * (1 - TP/Np); an image with no counted pixels scores 0. Shadow papers often pool
 * TP/TN over the whole test set before computing BER; MetricAccumulator reports that pooled value
 * next to the per-image mean.
 */
import type { BinaryMask, LabelMap, ProbabilityMask } from "../mask/types.ts";
import type { Confusion, GroundTruthOptions } from "./confusion.ts";
import { assertSameSize, confusion, groundTruthTable } from "./confusion.ts";
import { assertProbabilities } from "./probability.ts";

/** BER from counts (see module comment for the empty-class cases). */
export function berFromConfusion(c: Confusion): number {
  const positives = c.tp + c.fn;
  const negatives = c.tn + c.fp;
  if (positives === 0 && negatives === 0) return 0;
  if (positives === 0) return 100 * (1 - c.tn / negatives);
  if (negatives === 0) return 100 * (1 - c.tp / positives);
  return 100 * (1 - 0.5 * (c.tp / positives + c.tn / negatives));
}

/**
 * Balanced error rate of a binary prediction, in percent.
 * @example ber(pred, gt) // 12.5
 */
export function ber(pred: BinaryMask, gt: BinaryMask | LabelMap, options: GroundTruthOptions = {}): number {
  return berFromConfusion(confusion(pred, gt, options));
}

/**
 * Mean absolute error between a [0, 1] map and the 0/1 ground truth over counted (non-void) pixels;
 * 0 when no pixel counts. Binary masks are accepted as maps of 0 and 1.
 * @example mae(prob, gt) // 0.082
 */
export function mae(
  prob: ProbabilityMask | BinaryMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): number {
  assertSameSize(prob, gt);
  const isBinary = prob.data instanceof Uint8Array;
  if (!isBinary) assertProbabilities(prob as ProbabilityMask);
  const truthOf = groundTruthTable(options);
  const p = prob.data;
  const g = gt.data;
  let sum = 0;
  let counted = 0;
  for (let i = 0; i < p.length; i++) {
    const truth = truthOf[g[i]];
    if (truth < 0) continue;
    const value = isBinary ? (p[i] !== 0 ? 1 : 0) : p[i];
    sum += Math.abs(value - truth);
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}
