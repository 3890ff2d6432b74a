/**
 * Shared handling of probability maps for the saliency-style metrics: range checks, the adaptive
 * threshold, and binarisation. One place, so F-beta and E-measure binarise identically.
 *
 * Maps are taken as given: unlike saliency toolkits that read 8-bit PNGs (PySODMetrics min-max
 * normalises each prediction), nothing is rescaled, because our maps are already calibrated
 * probabilities (SAM's sigmoid) and rescaling would change MAE.
 */
import { AlignSamError } from "../errors.ts";
import type { BinaryMask, ProbabilityMask } from "../mask/types.ts";
import { assertSameSize } from "./confusion.ts";

/**
 * Refuses values outside [0, 1] (or NaN): a logit or a 0..255 map passed by mistake would otherwise
 * give plausible-looking but meaningless scores.
 */
export function assertProbabilities(prob: ProbabilityMask): void {
  const d = prob.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!(v >= 0 && v <= 1)) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `probability maps must hold values in [0, 1]; found ${v} at pixel ${i} (apply a sigmoid to logits, divide 0..255 maps by 255)`,
      );
    }
  }
}

/**
 * The saliency community's adaptive threshold: min(2 * mean(prob), 1) (Achanta et al. 2009), with the
 * mean over all pixels of the prediction.
 */
export function adaptiveThreshold(prob: ProbabilityMask): number {
  const d = prob.data;
  if (d.length === 0) return 1;
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum += d[i];
  return Math.min((2 * sum) / d.length, 1);
}

/**
 * Foreground where prob >= threshold, as the reference code binarises (PySODMetrics `pred >=
 * threshold`; Fan's main.m after its `>=` fix). An all-zero map under the adaptive rule thresholds
 * at 0 and so becomes a FULL mask, exactly as in the reference.
 */
export function binarize(prob: ProbabilityMask, threshold: number): BinaryMask {
  const out = new Uint8Array(prob.data.length);
  const d = prob.data;
  for (let i = 0; i < d.length; i++) out[i] = d[i] >= threshold ? 1 : 0;
  return { width: prob.width, height: prob.height, data: out };
}

/**
 * The map checked against its ground truth's size and the [0, 1] range, then binarised at the
 * adaptive threshold: the prediction of mean-F and adaptive E-measure.
 */
export function binarizeAdaptive(
  prob: ProbabilityMask,
  gt: { width: number; height: number; data: ArrayLike<number> },
): BinaryMask {
  assertSameSize(prob, gt);
  assertProbabilities(prob);
  return binarize(prob, adaptiveThreshold(prob));
}

/** Views a binary mask as a probability map (0 or 1), so binary predictions can go through MAE/E/F. */
export function binaryAsProbability(mask: BinaryMask): ProbabilityMask {
  const out = new Float32Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 ? 1 : 0;
  return { width: mask.width, height: mask.height, data: out };
}
