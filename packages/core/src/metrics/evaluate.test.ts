import { describe, expect, it } from "vitest";
import type { BinaryMask, ProbabilityMask } from "../mask/types.ts";
import { MetricAccumulator } from "./aggregate.ts";
import { evaluateImage } from "./evaluate.ts";

const mask = (values: number[]): BinaryMask => ({
  width: values.length,
  height: 1,
  data: Uint8Array.from(values),
});

describe("evaluateImage", () => {
  it("computes each requested metric and nothing else", () => {
    // pred 1 1 0 0, gt 1 0 1 0: TP 1, FP 1, FN 1, TN 1
    const r = evaluateImage(mask([1, 1, 0, 0]), mask([1, 0, 1, 0]), { metrics: ["mIoU", "BER"], id: "x" });
    expect(Object.keys(r.values).sort()).toEqual(["BER", "mIoU"]);
    expect(r.values.mIoU).toBeCloseTo(1 / 3, 12); // 1 / (1 + 1 + 1)
    expect(r.values.BER).toBeCloseTo(50, 12); // 100 * (1 - 0.5 * (1/2 + 1/2))
    expect(r.confusion).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1 });
    expect(r.id).toBe("x");
    expect(r.fCurve).toBeUndefined();
  });

  it("uses the probability map for F, E and MAE when one is given", () => {
    const prob: ProbabilityMask = { width: 4, height: 1, data: Float32Array.from([0.9, 0.6, 0.3, 0.1]) };
    const gt = mask([1, 0, 1, 0]);
    const r = evaluateImage(mask([1, 1, 0, 0]), gt, { metrics: ["MAE", "maxF", "F"], prob });
    // |0.9-1| + |0.6-0| + |0.3-1| + |0.1-0| = 1.5 over 4 -> 0.375
    expect(r.values.MAE).toBeCloseTo(0.375, 6);
    expect(r.values.maxF).toBeCloseTo(0.8125, 7); // see the max-F hand computation in fmeasure.test.ts
    // mean 0.475 -> threshold 0.95 -> nothing selected -> F 0
    expect(r.values.F).toBe(0);
    expect(r.fCurve).toHaveLength(256);
  });

  it("feeds the accumulator directly", () => {
    const acc = new MetricAccumulator();
    acc.add(evaluateImage(mask([1, 0]), mask([1, 0]), { metrics: ["mIoU"], classes: ["cat"] }));
    acc.add(evaluateImage(mask([1, 1]), mask([1, 0]), { metrics: ["mIoU"], classes: ["dog"] }));
    // IoU 1 and 1/2 -> mean 0.75; pooled per class from the returned counts: cat 1/1, dog 1/2
    expect(acc.summary().metrics.mIoU.mean).toBeCloseTo(0.75, 12);
    expect(acc.summary().perClass.map((c) => [c.className, c.iou])).toEqual([
      ["cat", 1],
      ["dog", 0.5],
    ]);
  });
});
