import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adaptiveEMeasure, eMeasure } from "./emeasure.ts";
import { gtA, mask, predA, prob } from "./hand-cases.ts";

/**
 * The reference, re-implemented pixel by pixel and independently of emeasure.ts's counting: Fan's
 * Emeasure.m (IJCAI 2018), which PySODMetrics' cal_em_with_threshold reproduces:
 *   if sum(GT) == 0: enhanced = 1 - FM; elseif sum(~GT) == 0: enhanced = FM;
 *   else align = 2 (GT - mean GT)(FM - mean FM) / ((GT - mean GT)^2 + (FM - mean FM)^2 + eps),
 *        enhanced = (align + 1)^2 / 4;
 *   score = sum(enhanced) / (w * h - 1 + eps), eps = 2^-52 (MATLAB eps, numpy spacing(1)).
 */
function referenceEmeasure(fm: readonly number[], gt: readonly number[]): number {
  const eps = 2 ** -52;
  const n = gt.length;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  let enhanced: number[];
  if (gt.every((g) => g === 0)) enhanced = fm.map((f) => 1 - f);
  else if (gt.every((g) => g === 1)) enhanced = [...fm];
  else {
    const [mf, mg] = [mean(fm), mean(gt)];
    enhanced = fm.map((f, i) => {
      const [a, b] = [f - mf, gt[i] - mg];
      const align = (2 * b * a) / (b * b + a * a + eps);
      return (align + 1) ** 2 / 4;
    });
  }
  return enhanced.reduce((a, b) => a + b, 0) / (n - 1 + eps);
}

/** The reference's adaptive binarisation (PySODMetrics get_adaptive_threshold, then pred >= t). */
const referenceAdaptive = (p: readonly number[]): number[] => {
  const t = Math.min((2 * p.reduce((a, b) => a + b, 0)) / p.length, 1);
  return p.map((v) => (v >= t ? 1 : 0));
};

describe("E-measure (Fan et al. 2018), as the reference code computes it", () => {
  it("matches the hand-computed alignment on a mixed case, dividing by N - 1", () => {
    // A without the void pixel: N = 8 pixels, mean(pred) = 3/8, mean(gt) = 3/8.
    // (1,1): a = b = 5/8 -> phi = 1 -> enhanced 1; (0,0): a = b = -3/8 -> 1;
    // (1,0) and (0,1): a b = -15/64, a^2 + b^2 = 34/64 -> phi = -15/17 -> (2/17)^2 / 4 = 1/289.
    // sum = 2 * 1 + 4 * 1 + 1/289 + 1/289; E = sum / (8 - 1)   (the old plain mean divided by 8)
    expect(eMeasure(predA, gtA)).toBeCloseTo((6 + 2 / 289) / 7, 12);
    expect(eMeasure(predA, gtA)).toBeCloseTo(
      referenceEmeasure([1, 1, 0, 1, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 0, 0]),
      12,
    );
  });

  it("uses 1 - pred on an all-background ground truth and pred on an all-foreground one", () => {
    const pred = mask(4, 1, [1, 0, 0, 0]);
    expect(eMeasure(pred, mask(4, 1, [0, 0, 0, 0]))).toBeCloseTo(3 / 3, 12); // sum(1 - pred) = 3, / (4 - 1)
    expect(eMeasure(pred, mask(4, 1, [1, 1, 1, 1]))).toBeCloseTo(1 / 3, 12); // sum(pred) = 1, / (4 - 1)
  });

  it("equals the pixel-by-pixel reference on any binary pair", () => {
    const pair = fc.integer({ min: 2, max: 40 }).chain((n) =>
      fc.record({
        fm: fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
        gt: fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
      }),
    );
    fc.assert(
      fc.property(pair, ({ fm, gt }) => {
        const ours = eMeasure(mask(fm.length, 1, fm), mask(gt.length, 1, gt));
        expect(ours).toBeCloseTo(referenceEmeasure(fm, gt), 12);
      }),
    );
  });

  it("binarises probability maps at pred >= min(2 * mean, 1)", () => {
    // mean 0.25 -> threshold 0.5 -> 1 1 0 0 0 0 0 0, same as the binary prediction
    const values = [0.9, 0.6, 0.3, 0.1, 0.1, 0, 0, 0];
    const gt = [1, 0, 1, 0, 0, 0, 0, 0];
    expect(adaptiveEMeasure(prob(8, 1, values), mask(8, 1, gt))).toBeCloseTo(
      referenceEmeasure(referenceAdaptive(values), gt),
      12,
    );
  });

  it("turns an all-zero map into a full mask (threshold 0), as the reference does", () => {
    const zero = prob(4, 1, [0, 0, 0, 0]);
    // full mask on gt 1 0 0 0: a = 0 everywhere -> phi 0 -> enhanced 1/4 each -> sum 1 -> 1 / 3
    expect(adaptiveEMeasure(zero, mask(4, 1, [1, 0, 0, 0]))).toBeCloseTo(1 / 3, 12);
    // full mask on an all-background gt: enhanced = 1 - 1 = 0 (an empty mask would score 4 / 3)
    expect(adaptiveEMeasure(zero, mask(4, 1, [0, 0, 0, 0]))).toBe(0);
    expect(referenceEmeasure(referenceAdaptive([0, 0, 0, 0]), [0, 0, 0, 0])).toBe(0);
  });
});
