import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BinaryMask, ProbabilityMask } from "../mask/types.ts";
import { confusion } from "./confusion.ts";
import { eMeasure } from "./emeasure.ts";
import { ber, mae } from "./error-rates.ts";
import { fBeta, fBetaFromConfusion, fCurve } from "./fmeasure.ts";
import { iou } from "./iou.ts";

/** Two same-size binary masks (and optionally a void-bearing ground truth). */
const maskPair = (withVoid = false) =>
  fc
    .record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }) })
    .chain(({ width, height }) => {
      const n = width * height;
      const gtValue = withVoid ? fc.constantFrom(0, 1, 255) : fc.constantFrom(0, 1);
      return fc.record({
        pred: fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
        gt: fc.array(gtValue, { minLength: n, maxLength: n }),
        prob: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
        width: fc.constant(width),
        height: fc.constant(height),
      });
    })
    .map(({ pred, gt, prob, width, height }) => ({
      pred: { width, height, data: Uint8Array.from(pred) } as BinaryMask,
      gt: { width, height, data: Uint8Array.from(gt) } as BinaryMask,
      prob: { width, height, data: Float32Array.from(prob) } as ProbabilityMask,
    }));

const invert = (m: BinaryMask): BinaryMask => ({
  width: m.width,
  height: m.height,
  data: m.data.map((v) => (v === 255 ? 255 : 1 - v)),
});

describe("metric properties", () => {
  it("keeps IoU, F and MAE in [0, 1], E in [0, N / (N - 1)] and BER in [0, 100], void or not", () => {
    fc.assert(
      fc.property(maskPair(true), ({ pred, gt, prob }) => {
        for (const v of [iou(pred, gt), fBeta(pred, gt), mae(prob, gt), mae(pred, gt)]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
        }
        // The reference's sum / (N - 1 + eps): each pixel's enhanced alignment is at most 1.
        const n = gt.data.filter((v) => v !== 255).length;
        const e = eMeasure(pred, gt);
        expect(e).toBeGreaterThanOrEqual(0);
        if (n > 0) expect(e * (n - 1 + Number.EPSILON)).toBeLessThanOrEqual(n * (1 + 1e-12));
        const b = ber(pred, gt);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(100 + 1e-9);
      }),
    );
  });

  it("makes IoU and MAE symmetric in prediction and ground truth (binary, no void)", () => {
    fc.assert(
      fc.property(maskPair(), ({ pred, gt }) => {
        expect(iou(pred, gt)).toBe(iou(gt, pred));
        expect(mae(pred, gt)).toBe(mae(gt, pred));
      }),
    );
  });

  it("leaves BER unchanged when foreground and background swap in both masks", () => {
    fc.assert(
      fc.property(maskPair(true), ({ pred, gt }) => {
        const swappedPred: BinaryMask = { ...pred, data: pred.data.map((v) => 1 - v) };
        expect(ber(swappedPred, invert(gt))).toBeCloseTo(ber(pred, gt), 9);
      }),
    );
  });

  it("gives a perfect score to a prediction equal to the ground truth", () => {
    fc.assert(
      fc.property(maskPair(), ({ gt }) => {
        expect(iou(gt, gt)).toBe(1);
        expect(ber(gt, gt)).toBe(0);
        expect(mae(gt, gt)).toBe(0);
        // every pixel aligned: the sum is N, so E = N / (N - 1 + eps) (just above 1), as in the reference
        const n = gt.data.length;
        expect(eMeasure(gt, gt) * (n - 1 + Number.EPSILON)).toBeCloseTo(n, 6);
        if (gt.data.includes(1)) expect(fBeta(gt, gt)).toBeCloseTo(1, 6);
      }),
    );
  });

  it("makes each F-curve point equal F-beta of floor(255 p) >= t", () => {
    fc.assert(
      fc.property(maskPair(true), fc.integer({ min: 0, max: 255 }), ({ prob, gt }, t) => {
        const binary: BinaryMask = {
          width: prob.width,
          height: prob.height,
          data: Uint8Array.from(prob.data, (p) => (Math.min(Math.floor(p * 255), 255) >= t ? 1 : 0)),
        };
        expect(fCurve(prob, gt)[t]).toBeCloseTo(fBetaFromConfusion(confusion(binary, gt)), 12);
      }),
    );
  });
});
