/**
 * Enhanced-alignment measure E (Fan et al., "Enhanced-alignment Measure for Binary Foreground Map
 * Evaluation", IJCAI 2018), on binary maps, as the reference code computes it (Fan's Emeasure.m;
 * PySODMetrics' `Emeasure.cal_em_with_threshold`):
 *
 *   a = pred - mean(pred),  b = gt - mean(gt)                       (bias matrices)
 *   phi = 2 a b / (a^2 + b^2 + eps)                                  (alignment, eps = 2^-52)
 *   E = sum over pixels of (1 + phi)^2 / 4, divided by (N - 1 + eps), N = counted pixels
 *
 * so a perfect map scores N / (N - 1), slightly above 1, exactly as the reference does. Special
 * cases, as in the reference: ground truth all background -> enhanced = 1 - pred; ground truth all
 * foreground -> enhanced = pred. Void ground-truth pixels are left out of N, the means and the sum
 * (the reference has no void); an image with no counted pixels scores 1.
 *
 * Which one the evaluation uses: SAM's masks are binary, so they go through {@link eMeasure}
 * directly; probability maps go through {@link adaptiveEMeasure} (binarised at pred >= min(2 *
 * mean, 1), the reference's "adaptive E"). Both are "E" in reports.
 */
import type { BinaryMask, LabelMap, ProbabilityMask } from "../mask/types.ts";
import type { Confusion, GroundTruthOptions } from "./confusion.ts";
import { confusion } from "./confusion.ts";
import { binarizeAdaptive } from "./probability.ts";

const PHI_EPS = Number.EPSILON;

/**
 * E-measure from confusion counts: a binary map has only four (pred, gt) combinations, so the
 * per-pixel enhanced alignment takes four values, weighted by the counts (PySODMetrics computes it
 * the same way).
 */
export function eMeasureFromConfusion(c: Confusion): number {
  const counted = c.tp + c.fp + c.fn + c.tn;
  if (counted === 0) return 1;
  const predSum = c.tp + c.fp;
  const gtSum = c.tp + c.fn;
  const denominator = counted - 1 + PHI_EPS;
  if (gtSum === 0) return (counted - predSum) / denominator; // sum of 1 - pred
  if (gtSum === counted) return predSum / denominator; // sum of pred
  const predMean = predSum / counted;
  const gtMean = gtSum / counted;
  const enhanced = (pv: number, gv: number): number => {
    const a = pv - predMean;
    const b = gv - gtMean;
    const phi = (2 * a * b) / (a * a + b * b + PHI_EPS);
    return ((1 + phi) * (1 + phi)) / 4;
  };
  const total = c.tp * enhanced(1, 1) + c.fp * enhanced(1, 0) + c.fn * enhanced(0, 1) + c.tn * enhanced(0, 0);
  return total / denominator;
}

/**
 * E-measure of a binary prediction (any non-zero value = foreground).
 * @example eMeasure(pred, gt) // 0.93
 */
export function eMeasure(
  pred: BinaryMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): number {
  return eMeasureFromConfusion(confusion(pred, gt, options));
}

/** Adaptive E-measure of a probability map: binarise at prob >= min(2 * mean(prob), 1), then {@link eMeasure}. */
export function adaptiveEMeasure(
  prob: ProbabilityMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): number {
  return eMeasure(binarizeAdaptive(prob, gt), gt, options);
}
