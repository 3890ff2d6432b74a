import { describe, expect, it } from "vitest";
import { resizeMaskNearest, resizeProbability, thresholdProbability } from "./resize.ts";

describe("resizeMaskNearest", () => {
  it("replicates pixels when enlarging and stays binary", () => {
    const out = resizeMaskNearest({ width: 2, height: 2, data: Uint8Array.from([1, 0, 0, 1]) }, 4, 4);
    expect(Array.from(out.data)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it("samples floor(dst * in / out) when shrinking, like F.interpolate(mode='nearest')", () => {
    // 5 -> 2: sources 0 and floor(2.5) = 2
    const out = resizeMaskNearest({ width: 5, height: 1, data: Uint8Array.from([1, 0, 0, 1, 1]) }, 2, 1);
    expect(Array.from(out.data)).toEqual([1, 0]);
  });

  it("refuses data that does not match the declared size with MASK_SHAPE", () => {
    expect(() => resizeMaskNearest({ width: 3, height: 3, data: new Uint8Array(4) }, 2, 2)).toThrow(
      expect.objectContaining({ code: "MASK_SHAPE" }),
    );
  });
});

describe("resizeProbability / thresholdProbability", () => {
  it("resizes bilinearly with half-pixel centres", () => {
    const out = resizeProbability({ width: 2, height: 1, data: Float32Array.from([0, 1]) }, 4, 1);
    expect(Array.from(out.data)).toEqual([0, 0.25, 0.75, 1]);
    expect([out.width, out.height]).toEqual([4, 1]);
  });

  it("thresholds strictly above t, 0.5 by default", () => {
    const p = { width: 4, height: 1, data: Float32Array.from([0.2, 0.5, 0.500001, 0.9]) };
    expect(Array.from(thresholdProbability(p).data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(thresholdProbability(p, 0.1).data)).toEqual([1, 1, 1, 1]);
  });
});
