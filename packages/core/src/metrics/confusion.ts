/**
 * Confusion counts of a binary prediction against a ground truth: the shared base of IoU, F-beta and
 * BER. Ground-truth pixels equal to VOID_LABEL (255) are left out of every count, so a metric never
 * rewards or punishes a pixel the annotator marked as "don't care".
 */
import { AlignSamError } from "../errors.ts";
import type { BinaryMask, LabelMap } from "../mask/types.ts";
import { VOID_LABEL } from "../mask/types.ts";

/** Pixel counts; void pixels are in none of them. */
export interface Confusion {
  /** Predicted foreground, ground-truth foreground. */
  readonly tp: number;
  /** Predicted foreground, ground-truth background. */
  readonly fp: number;
  /** Predicted background, ground-truth foreground. */
  readonly fn: number;
  /** Predicted background, ground-truth background. */
  readonly tn: number;
}

export interface GroundTruthOptions {
  /**
   * Treat only this label as foreground (VOC-style class-index maps); every other non-void label is
   * background. Without it, any label other than 0 and 255 is foreground (binary 0/1 masks and maps
   * where every object counts).
   */
  classIndex?: number;
}

/** A size-checked pair of anything with width/height: metrics compare pixel by pixel, so sizes must agree. */
export function assertSameSize(
  a: { width: number; height: number; data: ArrayLike<number> },
  b: { width: number; height: number; data: ArrayLike<number> },
  what = "prediction and ground truth",
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `${what} differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}; resize one to the other first`,
    );
  }
  if (a.data.length !== a.width * a.height || b.data.length !== b.width * b.height) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `${what}: data length does not match width x height (${a.data.length} for ${a.width}x${a.height}, ${b.data.length} for ${b.width}x${b.height})`,
    );
  }
}

/**
 * Per-label ground-truth class as a 256-entry table: 1 foreground, 0 background, -1 void. A table
 * (not a function) so that every metric reads a LabelMap the same way and the per-pixel loops stay
 * a single array lookup.
 */
export function groundTruthTable(options: GroundTruthOptions = {}): Int8Array {
  const { classIndex } = options;
  if (
    classIndex !== undefined &&
    (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= VOID_LABEL)
  ) {
    throw new AlignSamError("INVALID_ARGUMENT", `classIndex must be an integer in 0..254, got ${classIndex}`);
  }
  const table = new Int8Array(256);
  for (let label = 0; label < 256; label++) {
    if (label === VOID_LABEL) table[label] = -1;
    else if (classIndex === undefined) table[label] = label === 0 ? 0 : 1;
    else table[label] = label === classIndex ? 1 : 0;
  }
  return table;
}

/**
 * Counts TP/FP/FN/TN of `pred` (any non-zero value = foreground) against `gt`.
 * @example confusion(pred, gt) // { tp: 3, fp: 1, fn: 0, tn: 5 }
 */
export function confusion(
  pred: BinaryMask,
  gt: BinaryMask | LabelMap,
  options: GroundTruthOptions = {},
): Confusion {
  assertSameSize(pred, gt);
  const truthOf = groundTruthTable(options);
  // counts[2 * truth + predicted]: 0 tn, 1 fp, 2 fn, 3 tp
  const counts = [0, 0, 0, 0];
  const p = pred.data;
  const g = gt.data;
  for (let i = 0; i < p.length; i++) {
    const truth = truthOf[g[i]];
    if (truth < 0) continue;
    counts[(truth << 1) | (p[i] !== 0 ? 1 : 0)]++;
  }
  return { tp: counts[3], fp: counts[1], fn: counts[2], tn: counts[0] };
}

/** Adds confusion counts (pooling over images, e.g. dataset-level BER). */
export function addConfusion(a: Confusion, b: Confusion): Confusion {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

export const EMPTY_CONFUSION: Confusion = Object.freeze({ tp: 0, fp: 0, fn: 0, tn: 0 });
