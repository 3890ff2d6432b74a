import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRandom, hashSeed, mulberry32 } from "./random.ts";

describe("seeded random", () => {
  it("matches the published mulberry32 sequence", () => {
    // reference values from the canonical JS mulberry32 (bryc/code, PRNGs.md) seeded with 42
    const next = mulberry32(42);
    expect([next(), next(), next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it("repeats the same sequence for the same seed and differs for another", () => {
    const a = createRandom(123);
    const b = createRandom(123);
    const c = createRandom(124);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it("keeps floats in [0, 1) and integers in range, shuffles to a permutation", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, bound) => {
        const rng = createRandom(seed);
        const x = rng.next();
        expect(x >= 0 && x < 1).toBe(true);
        const k = rng.int(bound);
        expect(Number.isInteger(k) && k >= 0 && k < bound).toBe(true);
        const arr = Array.from({ length: 20 }, (_, i) => i);
        expect([...rng.shuffle([...arr])].sort((p, q) => p - q)).toEqual(arr);
      }),
    );
  });

  it("draws normals with mean near 0 and variance near 1", () => {
    const rng = createRandom(5);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    // standard error of the mean ~ 1/sqrt(20000) = 0.007; of the variance ~ sqrt(2/20000) = 0.01
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
  });

  it("hashes names to stable seeds and forks independent streams", () => {
    expect(hashSeed("blur")).toBe(hashSeed("blur"));
    expect(hashSeed("blur")).not.toBe(hashSeed("glass"));
    const parent = createRandom(1);
    const child = parent.fork();
    expect(child.next()).not.toBe(parent.next());
    expect(() => createRandom(Number.NaN)).toThrow(/finite/);
    expect(() => createRandom(1).int(0)).toThrow(/positive integer/);
  });
});
