/** Small hand-computed cases shared by the metric tests; the arithmetic sits beside each expectation. */
import type { BinaryMask, ProbabilityMask } from "../mask/types.ts";

export const mask = (width: number, height: number, values: number[]): BinaryMask => ({
  width,
  height,
  data: Uint8Array.from(values),
});
export const prob = (width: number, height: number, values: number[]): ProbabilityMask => ({
  width,
  height,
  data: Float32Array.from(values),
});

// Case A (3x3, last ground-truth pixel void):
//   pred 1 1 0    gt 1 0 0
//        1 0 0       1 1 0
//        0 0 0       0 0 255
// pixel by pixel: tp, fp, tn / tp, fn, tn / tn, tn, void -> TP 2, FP 1, FN 1, TN 4.
export const predA = mask(3, 3, [1, 1, 0, 1, 0, 0, 0, 0, 0]);
export const gtA = mask(3, 3, [1, 0, 0, 1, 1, 0, 0, 0, 255]);
// Case B (6x1): pred 1 1 1 1 0 0, gt 1 0 0 0 1 0 -> TP 1, FP 3, FN 1, TN 1.
export const predB = mask(6, 1, [1, 1, 1, 1, 0, 0]);
export const gtB = mask(6, 1, [1, 0, 0, 0, 1, 0]);
