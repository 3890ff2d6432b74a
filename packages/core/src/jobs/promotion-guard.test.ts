import { describe, expect, it } from "vitest";
import {
  heldOutCount,
  MIN_HELD_OUT_IMAGES,
  promotionDifference,
  promotionVerdict,
} from "./promotion-guard.ts";

describe("promotion guard", () => {
  it("computes the paired difference and its standard error, signed so positive favours the candidate", () => {
    const d = promotionDifference([0.5, 0.7, 0.9], [0.4, 0.7, 0.6], "mIoU", true);
    expect(d.mean).toBeCloseTo((0.1 + 0 + 0.3) / 3, 10);
    const sd = Math.sqrt(((0.1 - d.mean) ** 2 + d.mean ** 2 + (0.3 - d.mean) ** 2) / 2);
    expect(d.standardError).toBeCloseTo(sd / Math.sqrt(3), 10);
    // MAE: lower is better, so a lower candidate is a positive difference.
    expect(promotionDifference([0.1], [0.3], "MAE", false).mean).toBeCloseTo(0.2, 10);
  });

  it("refuses too few held-out or training images and below-minimum settings, naming the minimum", () => {
    const small = promotionVerdict({
      trainImages: 3,
      heldOutImages: 1,
      episodes: 1,
      steps: 3,
      difference: null,
    });
    expect(small.promotable).toBe(false);
    expect(small.reason).toMatch(/at least 20/);
    expect(small.reason).toMatch(/at least 10/);
    const settings = promotionVerdict({
      trainImages: 30,
      heldOutImages: 20,
      episodes: 1,
      steps: 1,
      difference: null,
    });
    expect(settings).toMatchObject({ promotable: false });
    expect(settings.reason).toMatch(/steps >= 3/);
  });

  it("promotes a candidate that is not worse on the same images, and refuses a worse one", () => {
    const base = { trainImages: 30, heldOutImages: 20, episodes: 2, steps: 5 };
    const better = promotionDifference([0.6, 0.6], [0.5, 0.6], "mIoU", true);
    const worse = promotionDifference([0.4, 0.6], [0.5, 0.6], "mIoU", true);
    expect(promotionVerdict({ ...base, difference: better }).promotable).toBe(true);
    const refused = promotionVerdict({ ...base, difference: worse });
    expect(refused.promotable).toBe(false);
    expect(refused.reason).toMatch(/worse: paired difference mIoU -0\.0500 ± 0\.0500 \(SE\)/);
    expect(promotionVerdict({ ...base, difference: null })).toMatchObject({ promotable: true });
  });

  it("holds out at least the guard's minimum when the set allows it, else a fraction", () => {
    expect(heldOutCount(50, 0.2)).toBe(MIN_HELD_OUT_IMAGES);
    expect(heldOutCount(200, 0.2)).toBe(40);
    expect(heldOutCount(4, 0.2)).toBe(1);
    expect(heldOutCount(2, 0.5)).toBe(1);
  });
});
