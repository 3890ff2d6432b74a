import { describe, expect, it } from "vitest";
import { createRgbImage, type RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import { allZeroRule, blurRule, centreBoxRule, everythingRule, shadowRule } from "./baselines.ts";

/** A deterministic pseudo-random generator so fixtures are reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function fractionSet(mask: BinaryMask, inside: (x: number, y: number) => boolean): number {
  let hit = 0;
  let n = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!inside(x, y)) continue;
      n++;
      hit += mask.data[y * mask.width + x];
    }
  }
  return hit / n;
}

function image(width: number, height: number, grey: (x: number, y: number) => number): RgbImage {
  const img = createRgbImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.max(0, Math.min(255, Math.round(grey(x, y))));
      img.data.set([v, v, v], (y * width + x) * 3);
    }
  }
  return img;
}

describe("blurRule", () => {
  it("marks the smooth (defocused) half of a half-sharp, half-blurred image", () => {
    const rnd = lcg(7);
    // Left: sharp high-contrast texture. Right: a gentle gradient, as a defocused background looks.
    const img = image(160, 120, (x, y) => (x < 80 ? (rnd() < 0.5 ? 30 : 220) : 100 + 0.3 * y));
    const mask = blurRule(img);
    // Sigma 8 smears the energy ~24 px across the boundary: score well away from it.
    expect(fractionSet(mask, (x) => x >= 112)).toBe(1);
    expect(fractionSet(mask, (x) => x < 48)).toBe(0);
  });
});

describe("shadowRule", () => {
  it("marks a dark region on a bright, noisy background", () => {
    const rnd = lcg(3);
    const inShadow = (x: number, y: number) => x >= 20 && x < 70 && y >= 30 && y < 90;
    const img = image(120, 120, (x, y) => (inShadow(x, y) ? 60 : 190) + 30 * (rnd() - 0.5));
    const mask = shadowRule(img);
    expect(fractionSet(mask, (x, y) => x >= 24 && x < 66 && y >= 34 && y < 86)).toBe(1);
    expect(fractionSet(mask, (x, y) => !(x >= 16 && x < 74 && y >= 26 && y < 94))).toBe(0);
  });
});

describe("fixed rules", () => {
  const img = createRgbImage(8, 6);

  it("everythingRule marks every pixel", () => {
    expect(Array.from(everythingRule(img).data)).toEqual(new Array(48).fill(1));
  });

  it("centreBoxRule marks the middle half of each side and nothing else", () => {
    const mask = centreBoxRule(img);
    const marked: string[] = [];
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 8; x++) if (mask.data[y * 8 + x]) marked.push(`${x},${y}`);
    // x in [2, 6), y in [round(1.5)=2, round(4.5)=5)
    expect(marked).toEqual([
      "2,2",
      "3,2",
      "4,2",
      "5,2",
      "2,3",
      "3,3",
      "4,3",
      "5,3",
      "2,4",
      "3,4",
      "4,4",
      "5,4",
    ]);
  });

  it("allZeroRule is a zero probability map of the image's size", () => {
    const p = allZeroRule(img);
    expect([p.width, p.height]).toEqual([8, 6]);
    expect(p.data.every((v) => v === 0)).toBe(true);
  });
});
