/**
 * F-beta measure with beta^2 = 0.3 (precision weighted over recall), the salient-object community's
 * convention (Achanta et al. 2009; Borji et al. 2015), as used for blur and glass in the paper:
 *
 *   P = TP / (TP + FP + eps),  R = TP / (TP + FN + eps),  F = (1 + b2) P R / (b2 P + R + eps),  eps = 1e-8
 *
 * so F = 0 whenever TP = 0, INCLUDING an empty prediction on an empty ground truth (unlike IoU, which
 * scores that 1); void pixels are not counted. Two ways to turn a probability map into F:
 * - mean-F ({@link meanF}, the paper's "F"): binarise at the adaptive threshold min(2 * mean(prob), 1);
 * - max-F ({@link maxF}): the best F over the 256 thresholds t/255, t = 0..255, with
 *   foreground = floor(255 * prob) >= t (PySODMetrics' histogram method). Over a dataset the
 *   convention is the max over t of the MEAN curve (MetricAccumulator does that from {@link fCurve});
 *   the per-image max returned here is an upper bound of it.
 */
import type { BinaryMask, LabelMap, ProbabilityMask } from "../mask/types.ts";
import type { Confusion, GroundTruthOptions } from "./confusion.ts";
import { assertSameSize, confusion, groundTruthTable } from "./confusion.ts";
import { assertProbabilities, binarizeAdaptive } from "./probability.ts";

/** beta^2 of the saliency F-measure. */
export const F_BETA2 = 0.3;
/** The epsilon in precision, recall and F (see module comment). */
export const F_EPS = 1e-8;
/** Number of thresholds of the max-F curve (t/255 for t = 0..255). */
export const F_CURVE_LEVELS = 256;

/** F-beta from counts (see module comment for the formula). */
export function fBetaFromConfusion(c: Confusion, beta2 = F_BETA2): number {
  const precision = c.tp / (c.tp + c.fp + F_EPS);
  const recall = c.tp / (c.tp + c.fn + F_EPS);
  return ((1 + beta2) * precision * recall) / (beta2 * precision + recall + F_EPS);
}

/**
 * F-beta of a binary prediction.
 * @example fBeta(pred, gt) // 0.8
 */
export function fBeta(
  pred: BinaryMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions & { beta2?: number } = {},
): number {
  return fBetaFromConfusion(confusion(pred, gt, options), options.beta2);
}

/** Mean-F: F-beta of the map binarised at the adaptive threshold min(2 * mean(prob), 1). */
export function meanF(
  prob: ProbabilityMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): number {
  return fBeta(binarizeAdaptive(prob, gt), gt, options);
}

/**
 * The F-beta value at each of the 256 thresholds (index t = threshold t/255), computed in one pass
 * with histograms: what dataset-level max-F needs from each image.
 */
export function fCurve(
  prob: ProbabilityMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): Float64Array {
  assertSameSize(prob, gt);
  assertProbabilities(prob);
  const truthOf = groundTruthTable(options);
  const fgHist = new Float64Array(F_CURVE_LEVELS);
  const bgHist = new Float64Array(F_CURVE_LEVELS);
  let positives = 0;
  const p = prob.data;
  const g = gt.data;
  for (let i = 0; i < p.length; i++) {
    const truth = truthOf[g[i]];
    if (truth < 0) continue;
    const level = Math.min(Math.floor(p[i] * 255), 255);
    if (truth === 1) {
      fgHist[level]++;
      positives++;
    } else bgHist[level]++;
  }
  const curve = new Float64Array(F_CURVE_LEVELS);
  let tp = 0;
  let fp = 0;
  for (let t = F_CURVE_LEVELS - 1; t >= 0; t--) {
    tp += fgHist[t];
    fp += bgHist[t];
    curve[t] = fBetaFromConfusion({ tp, fp, fn: positives - tp, tn: 0 });
  }
  return curve;
}

/** Max-F of one image: the best F-beta over the 256 thresholds. */
export function maxF(
  prob: ProbabilityMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): number {
  let best = 0;
  for (const v of fCurve(prob, gt, options)) if (v > best) best = v;
  return best;
}
