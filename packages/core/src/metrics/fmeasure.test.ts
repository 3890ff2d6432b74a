import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { fBeta, fCurve, maxF, meanF } from "./fmeasure.ts";
import { gtA, gtB, mask, predA, predB, prob } from "./hand-cases.ts";

describe("F-beta (beta^2 = 0.3)", () => {
  it("matches hand-computed precision/recall on binary predictions", () => {
    // A: P = 2/3, R = 2/3 -> F = 1.3 * 4/9 / (0.3 * 2/3 + 2/3) = 2/3
    expect(fBeta(predA, gtA)).toBeCloseTo(2 / 3, 7);
    // B: P = 1/4, R = 1/2 -> F = 1.3 * 1/8 / (0.3/4 + 1/2) = 0.1625 / 0.575 = 0.2826087
    expect(fBeta(predB, gtB)).toBeCloseTo(0.1625 / 0.575, 7);
  });

  it("is 0 without true positives, even for empty-on-empty (saliency convention)", () => {
    const empty = mask(2, 2, [0, 0, 0, 0]);
    expect(fBeta(empty, empty)).toBe(0);
  });

  it("binarises at min(2 * mean, 1) for mean-F", () => {
    // mean = (0.9 + 0.6 + 0.3 + 0.1 + 0.1) / 8 = 0.25 -> threshold 0.5 -> pred 1 1 0 0 0 0 0 0
    const p = prob(8, 1, [0.9, 0.6, 0.3, 0.1, 0.1, 0, 0, 0]);
    const gt = mask(8, 1, [1, 0, 0, 0, 0, 0, 0, 0]);
    // TP 1, FP 1, FN 0: P = 1/2, R = 1 -> F = 1.3 * 0.5 / (0.15 + 1) = 0.65 / 1.15
    expect(meanF(p, gt)).toBeCloseTo(0.65 / 1.15, 7);
    // mean 0.8 -> 2 * 0.8 = 1.6 capped at 1 -> no pixel >= 1 -> empty -> F = 0
    expect(meanF(prob(2, 1, [0.8, 0.8]), mask(2, 1, [1, 0]))).toBe(0);
  });

  it("treats an all-zero map as a full mask under the adaptive threshold, as the reference does", () => {
    // threshold min(2 * 0, 1) = 0 and 0 >= 0 selects every pixel (PySODMetrics cal_adaptive_fm):
    // gt 1 0 -> TP 1, FP 1: P = 1/2, R = 1 -> F = 1.3 * 0.5 / (0.3 * 0.5 + 1) = 0.65 / 1.15
    expect(meanF(prob(2, 1, [0, 0]), mask(2, 1, [1, 0]))).toBeCloseTo(0.65 / 1.15, 7);
  });

  it("computes the 256-threshold curve and max-F by hand", () => {
    // levels floor(255 p): 0.9 -> 229, 0.6 -> 153, 0.3 -> 76, 0.1 -> 25; gt 1 0 1 0
    const p = prob(4, 1, [0.9, 0.6, 0.3, 0.1]);
    const gt = mask(4, 1, [1, 0, 1, 0]);
    const curve = fCurve(p, gt);
    expect(curve).toHaveLength(256);
    expect(curve[255]).toBe(0); // t in 230..255: nothing selected
    expect(curve[200]).toBeCloseTo(0.65 / 0.8, 7); // t 154..229: {0}: P 1, R 1/2 -> 1.3*0.5/(0.3+0.5)
    expect(curve[100]).toBeCloseTo(0.5, 7); // t 77..153: {0,1}: P 1/2, R 1/2 -> 1/2
    expect(curve[50]).toBeCloseTo((1.3 * 2) / 3 / 1.2, 7); // t 26..76: {0,1,2}: P 2/3, R 1 -> 1.3*(2/3)/(0.2+1)
    expect(curve[0]).toBeCloseTo(0.65 / 1.15, 7); // t 0..25: all: P 1/2, R 1
    expect(maxF(p, gt)).toBeCloseTo(0.8125, 7);
  });

  it("refuses probability maps outside [0, 1] with INVALID_ARGUMENT", () => {
    let caught: unknown;
    try {
      meanF(prob(2, 1, [0.5, 255]), mask(2, 1, [1, 0]));
    } catch (e) {
      caught = e;
    }
    expect(isAlignSamError(caught, "INVALID_ARGUMENT")).toBe(true);
    expect(() => fCurve(prob(1, 1, [Number.NaN]), mask(1, 1, [1]))).toThrow(/\[0, 1\]/);
  });
});
