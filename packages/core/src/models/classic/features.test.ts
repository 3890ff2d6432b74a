import { describe, expect, it } from "vitest";
import { computeFeatures, FEATURE_NAMES, type FeatureName } from "./features.ts";
import { sharpSquareOnBlur } from "./test-images.ts";

function regionMeans(name: FeatureName, size: number) {
  const { image, truth } = sharpSquareOnBlur(size);
  const stack = computeFeatures(image, size);
  const plane = stack.planes[FEATURE_NAMES.indexOf(name)];
  let inS = 0;
  let nIn = 0;
  let outS = 0;
  let nOut = 0;
  // Skip a margin around the square's edge, where windows straddle both regions.
  const lo = size / 4 + 8;
  const hi = (3 * size) / 4 - 8;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = plane[y * size + x];
      if (x > lo && x < hi && y > lo && y < hi) {
        inS += v;
        nIn++;
      } else if (
        truth.data[y * size + x] === 0 &&
        (x < size / 4 - 8 || x > (3 * size) / 4 + 8 || y < size / 4 - 8 || y > (3 * size) / 4 + 8)
      ) {
        outS += v;
        nOut++;
      }
    }
  }
  return { sharp: inS / nIn, blurred: outS / nOut };
}

describe("classic features", () => {
  const sharpnessChannels: FeatureName[] = [
    "laplacian_energy_detail",
    "laplacian_energy_s0",
    "laplacian_energy_wide",
    "sharpness_ratio",
    "gradient_energy_s1",
  ];
  for (const name of sharpnessChannels) {
    it(`measures ${name} higher in the sharp square than in the blurred surround`, () => {
      const { sharp, blurred } = regionMeans(name, 128);
      expect(sharp).toBeGreaterThan(blurred + 0.5);
    });
  }

  it("shrinks to the working resolution and keeps every plane finite and standardised", () => {
    const { image } = sharpSquareOnBlur(128);
    const stack = computeFeatures(image, 64);
    expect([stack.width, stack.height]).toEqual([64, 64]);
    expect(stack.planes).toHaveLength(FEATURE_NAMES.length);
    for (const p of stack.planes) {
      const mean = p.reduce((a, b) => a + b, 0) / p.length;
      expect(Math.abs(mean)).toBeLessThan(1e-3);
      expect(p.every(Number.isFinite)).toBe(true);
    }
  });
});
