/**
 * Intersection over union, per image and per class. Conventions (written down because they change
 * the numbers):
 * - an image where prediction and ground truth are both empty (no foreground, void aside) scores 1:
 *   nothing to find and nothing found is a perfect answer, and scoring it 0 or NaN would punish or
 *   drop exactly the images where the model behaved;
 * - mIoU over a dataset is the plain mean of per-image IoU (binary tasks);
 * - VOC-style mIoU is the mean over classes of the per-class mean IoU ({@link PerClassIoU}); with
 *   coco_mval each image holds ONE instance of one named class, so "per-class IoU" is the mean over
 *   that class's images of the single-instance IoU (not a pooled semantic-map IoU).
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
 * IoU of a binary prediction against a ground truth, in [0, 1].
 * @example iou(pred, gt) // 0.75
 */
export function iou(pred: BinaryMask, gt: BinaryMask | LabelMap, options: GroundTruthOptions = {}): number {
  return iouFromConfusion(confusion(pred, gt, options));
}

/**
 * Collects per-image IoU under class names and reports the VOC-style mean: first the mean IoU of
 * each class over its images, then the unweighted mean over classes, so a class with many images
 * does not dominate. An image with several class names counts towards each.
 * @example
 * const acc = new PerClassIoU();
 * acc.add("cat", 0.5); acc.add("cat", 0.7); acc.add("dog", 0.9);
 * acc.mean(); // (0.6 + 0.9) / 2 = 0.75
 */
export class PerClassIoU {
  private readonly sums = new Map<string, { sum: number; count: number }>();

  add(className: string | readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const names = typeof className === "string" ? [className] : className;
    for (const name of names) {
      const entry = this.sums.get(name) ?? { sum: 0, count: 0 };
      entry.sum += value;
      entry.count++;
      this.sums.set(name, entry);
    }
  }

  /** Mean IoU per class, classes sorted by name. */
  perClass(): { className: string; mean: number; count: number }[] {
    return [...this.sums.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([className, { sum, count }]) => ({ className, mean: sum / count, count }));
  }

  /** Mean over classes of per-class mean IoU; NaN when nothing was added. */
  mean(): number {
    const classes = this.perClass();
    if (classes.length === 0) return Number.NaN;
    return classes.reduce((s, c) => s + c.mean, 0) / classes.length;
  }

  get classCount(): number {
    return this.sums.size;
  }
}
