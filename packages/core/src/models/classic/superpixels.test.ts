import { describe, expect, it } from "vitest";
import { slic } from "./superpixels.ts";
import { seededRandom } from "./test-images.ts";

describe("SLIC superpixels", () => {
  const w = 90;
  const h = 60;
  const rand = seededRandom(7);
  // Left half dark, right half bright, with noise.
  const plane = Float32Array.from({ length: w * h }, (_, i) => (i % w < 45 ? 20 : 80) + rand() * 5);
  const sp = slic([plane], w, h, { step: 10, compactness: 10, iterations: 5 });

  it("labels every pixel with one of about (w h / step^2) connected superpixels", () => {
    expect(sp.count).toBeGreaterThan(30);
    expect(sp.count).toBeLessThan(90);
    const seen = new Set(sp.labels);
    expect(seen.size).toBe(sp.count);
    expect(Math.min(...sp.labels)).toBe(0);
    // Connectivity: flood each label from its first pixel and reach all its pixels.
    const firstOf = new Map<number, number>();
    sp.labels.forEach((l, p) => {
      if (!firstOf.has(l)) firstOf.set(l, p);
    });
    const reached = new Uint8Array(w * h);
    for (const [label, start] of firstOf) {
      const stack = [start];
      reached[start] = 1;
      while (stack.length) {
        const p = stack.pop()!;
        const x = p % w;
        for (const q of [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, p - w, p + w]) {
          if (q >= 0 && q < w * h && !reached[q] && sp.labels[q] === label) {
            reached[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    expect(reached.every((v) => v === 1)).toBe(true);
  });

  it("does not let a superpixel straddle a strong edge", () => {
    const sides = new Map<number, Set<boolean>>();
    sp.labels.forEach((l, p) => {
      if (!sides.has(l)) sides.set(l, new Set());
      sides.get(l)!.add(p % w < 45);
    });
    const straddling = [...sides.values()].filter((s) => s.size > 1).length;
    expect(straddling).toBe(0);
  });
});
