/**
 * One call that computes the metrics a task reports (tasks/registry.ts names them) for one image, in
 * the shape MetricAccumulator takes. Per-image meaning of each name:
 * - "mIoU": the image's IoU (./dataset-metrics.ts forms the dataset's mIoU, from these or from the
 *   returned confusion counts);
 * - "F": mean-F (adaptive threshold) of `prob` if given, else F-beta of the binary prediction (the
 *   same number unless the mask is empty: a non-empty 0/1 map's adaptive threshold keeps exactly
 *   its foreground, an all-zero map's threshold 0 keeps every pixel);
 * - "maxF": the image's max-F over 256 thresholds (the accumulator also forms the dataset max-F
 *   from the returned curve);
 * - "E": adaptive E-measure of `prob` if given, else E-measure of the binary prediction;
 * - "MAE": MAE of `prob` if given, else of the 0/1 prediction;
 * - "BER": per-image BER in percent (confusion counts are returned for the pooled BER).
 * IoU and F in [0, 1], E in [0, N / (N - 1)] (see ./emeasure.ts); multiply by 100 for the paper's
 * tables.
 */
import type { BinaryMask, LabelMap, ProbabilityMask } from "../mask/types.ts";
import type { MetricName } from "../tasks/registry.ts";
import type { ImageResult } from "./aggregate.ts";
import { assertSameSize, confusion, type GroundTruthOptions } from "./confusion.ts";
import { adaptiveEMeasure, eMeasureFromConfusion } from "./emeasure.ts";
import { berFromConfusion, mae } from "./error-rates.ts";
import { fBetaFromConfusion, fCurve, meanF } from "./fmeasure.ts";
import { iouFromConfusion } from "./iou.ts";
import { binaryAsProbability } from "./probability.ts";

export interface EvaluateImageOptions extends GroundTruthOptions {
  /** Which metrics to compute (a task's `metrics` from the registry). */
  metrics: readonly MetricName[];
  /** The soft map behind `pred`, when there is one (saliency metrics use it). */
  prob?: ProbabilityMask;
  id?: string;
  classes?: readonly string[];
}

/**
 * Computes the requested metrics of one image.
 * @example
 * acc.add(evaluateImage(pred, gt, { metrics: ["mIoU", "F"], id: "0001" }));
 */
export function evaluateImage(
  pred: BinaryMask,
  gt: BinaryMask | LabelMap,
  options: EvaluateImageOptions,
): ImageResult {
  const { metrics, prob, ...gtOptions } = options;
  if (prob) assertSameSize(prob, gt, "probability map and ground truth");
  const counts = confusion(pred, gt, gtOptions);
  const values: Record<string, number> = {};
  let curve: Float64Array | undefined;
  for (const name of metrics) {
    switch (name) {
      case "mIoU":
        values[name] = iouFromConfusion(counts);
        break;
      case "F":
        values[name] = prob ? meanF(prob, gt, gtOptions) : fBetaFromConfusion(counts);
        break;
      case "maxF": {
        curve = fCurve(prob ?? binaryAsProbability(pred), gt, gtOptions);
        values[name] = Math.max(...curve);
        break;
      }
      case "E":
        values[name] = prob ? adaptiveEMeasure(prob, gt, gtOptions) : eMeasureFromConfusion(counts);
        break;
      case "MAE":
        values[name] = mae(prob ?? pred, gt, gtOptions);
        break;
      case "BER":
        values[name] = berFromConfusion(counts);
        break;
    }
  }
  return {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.classes !== undefined ? { classes: options.classes } : {}),
    values,
    ...(curve ? { fCurve: curve } : {}),
    confusion: counts,
  };
}
