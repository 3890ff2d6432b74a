import { describe, expect, it } from "vitest";
import { ber, mae } from "./error-rates.ts";
import { gtA, gtB, mask, predA, predB, prob } from "./hand-cases.ts";

describe("MAE and BER", () => {
  it("computes MAE over non-void pixels", () => {
    // |0.2 - 0| + |0.9 - 1| + |0.5 - 1| + |0 - 0| = 0.8 over 4 pixels; the void pixel is skipped
    expect(mae(prob(5, 1, [0.2, 0.9, 0.5, 0, 1]), mask(5, 1, [0, 1, 1, 0, 255]))).toBeCloseTo(0.2, 6);
    // binary prediction A: FP 1 + FN 1 wrong out of 8 counted pixels
    expect(mae(predA, gtA)).toBeCloseTo(2 / 8, 12);
  });

  it("computes BER in percent with the empty-class cases defined", () => {
    // A: Np = 3, Nn = 5 -> 100 * (1 - 0.5 * (2/3 + 4/5)) = 100 * 4/15
    expect(ber(predA, gtA)).toBeCloseTo(400 / 15, 10);
    // B: Np = 2, Nn = 4 -> 100 * (1 - 0.5 * (1/2 + 1/4)) = 62.5
    expect(ber(predB, gtB)).toBeCloseTo(62.5, 10);
    // Np = 0: 100 * (1 - TN/Nn) = 100 * (1 - 3/4) = 25
    expect(ber(mask(4, 1, [1, 0, 0, 0]), mask(4, 1, [0, 0, 0, 0]))).toBeCloseTo(25, 10);
    // Nn = 0: 100 * (1 - TP/Np) = 100 * (1 - 1/4) = 75
    expect(ber(mask(4, 1, [1, 0, 0, 0]), mask(4, 1, [1, 1, 1, 1]))).toBeCloseTo(75, 10);
    // nothing counted (all void) -> 0
    expect(ber(mask(2, 1, [1, 0]), mask(2, 1, [255, 255]))).toBe(0);
  });
});
