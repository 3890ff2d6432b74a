import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ImageResult, MetricAccumulator } from "./aggregate.ts";
import { F_CURVE_LEVELS } from "./fmeasure.ts";

const curve = (value: number, at: number): Float64Array => {
  const c = new Float64Array(F_CURVE_LEVELS);
  c[at] = value;
  return c;
};

describe("MetricAccumulator", () => {
  it("reports mean, sample std, min, max, per-class means and pooled class IoU by hand", () => {
    const acc = new MetricAccumulator();
    acc.add({ id: "a", classes: ["cat"], values: { mIoU: 0.5 }, confusion: { tp: 1, fp: 1, fn: 0, tn: 2 } });
    acc.add({ id: "b", classes: ["cat"], values: { mIoU: 0.7 }, confusion: { tp: 7, fp: 2, fn: 1, tn: 0 } });
    acc.add({ id: "c", classes: ["dog"], values: { mIoU: 0.9, BER: 10 } });
    const s = acc.summary();
    expect(s.images).toBe(3);
    // mean (0.5 + 0.7 + 0.9) / 3 = 0.7; std sqrt((0.04 + 0 + 0.04) / 2) = 0.2
    expect(s.metrics.mIoU.mean).toBeCloseTo(0.7, 12);
    expect(s.metrics.mIoU.std).toBeCloseTo(0.2, 12);
    expect([s.metrics.mIoU.min, s.metrics.mIoU.max, s.metrics.mIoU.count]).toEqual([0.5, 0.9, 3]);
    expect(s.metrics.BER).toMatchObject({ count: 1, mean: 10, std: 0 });
    // cat: means (0.5 + 0.7) / 2 = 0.6; pooled TP 1 + 7 = 8 over union (1+1+0) + (7+2+1) = 12.
    // dog: no counts -> pooled IoU NaN. All images: the same 8 / 12 (only cat's carry counts).
    expect(s.perClass.map((c) => [c.className, c.images])).toEqual([
      ["cat", 2],
      ["dog", 1],
    ]);
    expect(s.perClass[0].means.mIoU).toBeCloseTo(0.6, 12);
    expect(s.perClass[0].iou).toBeCloseTo(8 / 12, 12);
    expect(s.perClass[1].iou).toBeNaN();
    expect(s.pooledIoU).toBeCloseTo(8 / 12, 12);
  });

  it("forms dataset max-F from the mean curve and pooled BER from summed counts", () => {
    const acc = new MetricAccumulator();
    // image 1 peaks 0.8 at t=10, image 2 peaks 0.6 at t=20: mean curve 0.4 at 10, 0.3 at 20 -> 0.4
    acc.add({ values: {}, fCurve: curve(0.8, 10), confusion: { tp: 1, fp: 0, fn: 1, tn: 2 } });
    acc.add({ values: {}, fCurve: curve(0.6, 20), confusion: { tp: 3, fp: 2, fn: 0, tn: 2 } });
    const s = acc.summary();
    expect(s.datasetMaxF).toBeCloseTo(0.4, 12);
    // pooled TP 4, FN 1, TN 4, FP 2: Np 5, Nn 6 -> 100 * (1 - 0.5 * (4/5 + 4/6))
    expect(s.pooledBER).toBeCloseTo(100 * (1 - 0.5 * (4 / 5 + 4 / 6)), 10);
    expect(new MetricAccumulator().summary().datasetMaxF).toBeNaN();
  });

  it("ignores NaN values but counts them", () => {
    const acc = new MetricAccumulator();
    acc.add({ values: { E: Number.NaN } });
    acc.add({ values: { E: 0.5 } });
    expect(acc.summary().metrics.E).toMatchObject({ count: 1, mean: 0.5, nonFinite: 1 });
  });

  it("gives the same summary when shards are merged as in one pass", () => {
    const count = fc.nat({ max: 50 });
    const result = fc.record({
      values: fc.record({ mIoU: fc.double({ min: 0, max: 1, noNaN: true }) }),
      classes: fc.array(fc.constantFrom("cat", "dog", "cow"), { maxLength: 2 }),
      confusion: fc.record({ tp: count, fp: count, fn: count, tn: count }),
    });
    fc.assert(
      fc.property(fc.array(result, { maxLength: 30 }), fc.nat(), (results: ImageResult[], cut) => {
        const k = results.length === 0 ? 0 : cut % (results.length + 1);
        const whole = new MetricAccumulator();
        const left = new MetricAccumulator();
        const right = new MetricAccumulator();
        results.forEach((r, i) => {
          whole.add(r);
          (i < k ? left : right).add(r);
        });
        left.merge(right);
        const a = whole.summary();
        const b = left.summary();
        expect(b.images).toBe(a.images);
        if (a.images === 0) return;
        expect(b.metrics.mIoU.mean).toBeCloseTo(a.metrics.mIoU.mean, 9);
        expect(b.metrics.mIoU.std).toBeCloseTo(a.metrics.mIoU.std, 9);
        expect(b.metrics.mIoU.min).toBe(a.metrics.mIoU.min);
        expect(b.perClass.map((c) => c.className)).toEqual(a.perClass.map((c) => c.className));
        for (const [i, c] of a.perClass.entries()) {
          expect(b.perClass[i].images).toBe(c.images);
          expect(b.perClass[i].iou).toBe(c.iou); // integer sums: exactly equal (or both NaN)
          expect(b.perClass[i].means.mIoU).toBeCloseTo(c.means.mIoU, 9);
        }
        expect(b.pooledIoU).toBe(a.pooledIoU);
      }),
    );
  });
});
