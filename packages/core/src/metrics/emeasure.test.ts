import { describe, expect, it } from "vitest";
import { adaptiveEMeasure, eMeasure } from "./emeasure.ts";
import { gtA, mask, predA, prob } from "./hand-cases.ts";

describe("E-measure (Fan et al. 2018)", () => {
  it("matches the hand-computed alignment on a mixed case, void left out", () => {
    // A without the void pixel: 8 pixels, mean(pred) = 3/8, mean(gt) = 3/8.
    // (1,1): a = b = 5/8 -> phi = 1 -> enhanced 1; (0,0): a = b = -3/8 -> 1;
    // (1,0) and (0,1): a b = -15/64, a^2 + b^2 = 34/64 -> phi = -15/17 -> (2/17)^2 / 4 = 1/289.
    // E = (2 * 1 + 4 * 1 + 1 * 1/289 + 1 * 1/289) / 8 = (6 + 2/289) / 8
    expect(eMeasure(predA, gtA)).toBeCloseTo((6 + 2 / 289) / 8, 10);
  });

  it("uses 1 - pred on an all-background ground truth and pred on an all-foreground one", () => {
    const pred = mask(4, 1, [1, 0, 0, 0]);
    expect(eMeasure(pred, mask(4, 1, [0, 0, 0, 0]))).toBeCloseTo(3 / 4, 12); // mean(1 - pred) = 3/4
    expect(eMeasure(pred, mask(4, 1, [1, 1, 1, 1]))).toBeCloseTo(1 / 4, 12); // mean(pred) = 1/4
  });

  it("binarises probability maps at the adaptive threshold", () => {
    // mean 0.25 -> threshold 0.5 -> 1 1 0 0 0 0 0 0, same as the binary prediction
    const p = prob(8, 1, [0.9, 0.6, 0.3, 0.1, 0.1, 0, 0, 0]);
    const gt = mask(8, 1, [1, 0, 1, 0, 0, 0, 0, 0]);
    expect(adaptiveEMeasure(p, gt)).toBe(eMeasure(mask(8, 1, [1, 1, 0, 0, 0, 0, 0, 0]), gt));
  });
});
