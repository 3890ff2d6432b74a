import { describe, expect, it } from "vitest";
import { pairedDifference, verdict } from "./compare.ts";
import type { ImageRecord } from "./evaluate.ts";

const rec = (id: string, mIoU: number, MAE = 0): ImageRecord => ({ id, metrics: { mIoU, MAE }, ms: 1 });

describe("pairedDifference", () => {
  it("matches images by id and reports mean, standard error and wins", () => {
    const a = [rec("1", 0.8), rec("2", 0.6), rec("3", 0.5)];
    const b = [rec("3", 0.5), rec("1", 0.6), rec("2", 0.5)];
    const d = pairedDifference(a, b, "mIoU");
    expect(d.images).toBe(3);
    expect(d.mean).toBeCloseTo(0.1, 10);
    // diffs 0.2, 0.1, 0: std 0.1, se 0.1 / sqrt(3)
    expect(d.standardError).toBeCloseTo(0.1 / Math.sqrt(3), 10);
    expect([d.wins, d.losses]).toEqual([2, 0]);
  });

  it("counts a lower MAE as a win", () => {
    const d = pairedDifference([rec("1", 0, 0.1)], [rec("1", 0, 0.3)], "MAE");
    expect([d.wins, d.losses]).toEqual([1, 0]);
    expect(verdict("A", "B", d)).toMatch(/^A beats, within noise, B on MAE: paired difference -0\.200/);
  });

  it("refuses lists with no image in common", () => {
    expect(() => pairedDifference([rec("1", 1)], [rec("2", 1)], "mIoU")).toThrow(/no image/);
  });
});

describe("verdict", () => {
  it("says clearly only beyond two standard errors", () => {
    const a = [rec("1", 0.9), rec("2", 0.8), rec("3", 0.85)];
    const b = [rec("1", 0.5), rec("2", 0.45), rec("3", 0.5)];
    expect(verdict("AlignSAM", "centre click", pairedDifference(a, b, "mIoU"))).toMatch(
      /^AlignSAM clearly beats centre click on mIoU: paired difference \+36\.67 points .*better on 3, worse on 0 of 3 images/,
    );
    expect(verdict("B", "A", pairedDifference(b, a, "mIoU"))).toMatch(/^B clearly loses to A/);
  });
});
