/**
 * Intersection over union, per image and pooled. Conventions (written down because they change the
 * numbers; packages/core/src/metrics/README.md says how each compares with the reference code):
 * - an image where prediction and ground truth are both empty (no foreground, void aside) scores 1:
 *   nothing to find and nothing found is a perfect answer, and scoring it 0 or NaN would punish or
 *   drop exactly the images where the model behaved;
 * - pooled IoU (a class's, or a dataset's) is the sum of intersections over the sum of unions, NaN
 *   when every union is empty, as the semantic-segmentation toolkits leave such a class out. How a
 *   report forms its "mIoU" from these is ./dataset-metrics.ts's one decision.
 */
import type { BinaryMask, LabelMap } from "../mask/types.ts";
import type { Confusion, GroundTruthOptions } from "./confusion.ts";
import { confusion } from "./confusion.ts";

/** IoU from counts: TP / (TP + FP + FN); 1 when the union is empty. */
export function iouFromConfusion(c: Confusion): number {
  const union = c.tp + c.fp + c.fn;
  return union === 0 ? 1 : c.tp / union;
}

/**
 * IoU of counts summed over several images: intersection TP over union TP + FP + FN; NaN when there
 * are no counts or the union is empty (a class nobody predicted and nobody annotated has no IoU).
 * @example pooledIoUFromConfusion({ tp: 3, fp: 1, fn: 2, tn: 9 }) // 3 / 6 = 0.5
 */
export function pooledIoUFromConfusion(c: Confusion | undefined): number {
  if (!c) return Number.NaN;
  const union = c.tp + c.fp + c.fn;
  return union === 0 ? Number.NaN : c.tp / union;
}

/**
 * IoU of a binary prediction against a ground truth, in [0, 1].
 * @example iou(pred, gt) // 0.75
 */
export function iou(pred: BinaryMask, gt: BinaryMask | LabelMap, options: GroundTruthOptions = {}): number {
  return iouFromConfusion(confusion(pred, gt, options));
}
