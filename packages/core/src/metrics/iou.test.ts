import { describe, expect, it } from "vitest";
import { gtA, gtB, mask, predA, predB } from "./hand-cases.ts";
import { iou, PerClassIoU } from "./iou.ts";

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

  it("averages per class first, then over classes (VOC convention)", () => {
    const acc = new PerClassIoU();
    acc.add("cat", 0.5);
    acc.add("cat", 0.7);
    acc.add("dog", 0.9);
    acc.add(["cat", "person"], 0.3);
    // cat: (0.5 + 0.7 + 0.3) / 3 = 0.5; dog: 0.9; person: 0.3 -> (0.5 + 0.9 + 0.3) / 3 = 0.5666...
    expect(acc.mean()).toBeCloseTo(1.7 / 3, 12);
    expect(acc.perClass().map((c) => [c.className, c.count])).toEqual([
      ["cat", 3],
      ["dog", 1],
      ["person", 1],
    ]);
    expect(new PerClassIoU().mean()).toBeNaN();
  });
});
