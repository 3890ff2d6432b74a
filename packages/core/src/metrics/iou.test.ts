import { describe, expect, it } from "vitest";
import { addConfusion, confusion } from "./confusion.ts";
import { gtA, gtB, mask, predA, predB } from "./hand-cases.ts";
import { iou, pooledIoUFromConfusion } from "./iou.ts";

describe("IoU", () => {
  it("is TP / (TP + FP + FN) on hand-computed cases", () => {
    expect(iou(predA, gtA)).toBeCloseTo(2 / 4, 12); // 2 / (2 + 1 + 1) = 0.5
    expect(iou(predB, gtB)).toBeCloseTo(1 / 5, 12); // 1 / (1 + 3 + 1) = 0.2
  });

  it("scores an empty prediction on an empty ground truth as 1, and an empty prediction on an object as 0", () => {
    const empty = mask(2, 2, [0, 0, 0, 0]);
    expect(iou(empty, empty)).toBe(1);
    expect(iou(empty, mask(2, 2, [0, 1, 0, 0]))).toBe(0);
  });

  it("pools intersection and union over images, NaN when the union is empty or there are no counts", () => {
    // A: TP 2, FP 1, FN 1; B: TP 1, FP 3, FN 1 -> (2 + 1) / ((2 + 1 + 1) + (1 + 3 + 1)) = 3 / 9
    const a = confusion(predA, gtA);
    const b = confusion(predB, gtB);
    expect(pooledIoUFromConfusion(addConfusion(a, b))).toBeCloseTo(3 / 9, 12);
    // not the mean of the per-image IoUs (0.5 + 0.2) / 2 = 0.35
    expect((iou(predA, gtA) + iou(predB, gtB)) / 2).toBeCloseTo(0.35, 12);
    expect(pooledIoUFromConfusion({ tp: 0, fp: 0, fn: 0, tn: 7 })).toBeNaN();
    expect(pooledIoUFromConfusion(undefined)).toBeNaN();
  });
});
