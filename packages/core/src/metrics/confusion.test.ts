import { describe, expect, it } from "vitest";
import { confusion } from "./confusion.ts";
import { gtA, gtB, mask, predA, predB } from "./hand-cases.ts";

describe("confusion counts", () => {
  it("counts TP/FP/FN/TN and leaves void (255) ground-truth pixels out", () => {
    expect(confusion(predA, gtA)).toEqual({ tp: 2, fp: 1, fn: 1, tn: 4 });
    expect(confusion(predB, gtB)).toEqual({ tp: 1, fp: 3, fn: 1, tn: 1 });
  });

  it("treats labels other than 0 and 255 as foreground, or only the given class index", () => {
    // gt labels 0 3 7 255, pred 1 1 0 1
    const gt = mask(4, 1, [0, 3, 7, 255]);
    const pred = mask(4, 1, [1, 1, 0, 1]);
    // any object: 0->bg (fp), 3->fg (tp), 7->fg (fn), void
    expect(confusion(pred, gt)).toEqual({ tp: 1, fp: 1, fn: 1, tn: 0 });
    // class 7 only: 0->bg (fp), 3->bg (fp), 7->fg (fn), void
    expect(confusion(pred, gt, { classIndex: 7 })).toEqual({ tp: 0, fp: 2, fn: 1, tn: 0 });
  });

  it("refuses masks of different sizes with MASK_SHAPE", () => {
    expect(() => confusion(predA, predB)).toThrow(expect.objectContaining({ code: "MASK_SHAPE" }));
  });
});
