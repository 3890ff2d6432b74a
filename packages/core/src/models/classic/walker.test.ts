import { describe, expect, it } from "vitest";
import { solveRandomWalker } from "./walker.ts";

/** A path graph 0 - 1 - ... - (n-1) with unit conductances. */
function path(n: number, seeds: Record<number, 0 | 1>) {
  const offsets = new Int32Array(n + 1);
  const neighbours: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) neighbours.push(i - 1);
    if (i < n - 1) neighbours.push(i + 1);
    offsets[i + 1] = neighbours.length;
  }
  const s = new Int8Array(n).fill(-1);
  for (const [k, v] of Object.entries(seeds)) s[Number(k)] = v;
  return {
    count: n,
    offsets,
    neighbours: Int32Array.from(neighbours),
    weights: new Float32Array(neighbours.length).fill(1),
    seeds: s,
    priorWeight: new Float32Array(n),
    priorValue: new Float32Array(n),
  };
}

describe("random walker", () => {
  it("interpolates linearly between a background and a foreground seed on a path", () => {
    const { probability } = solveRandomWalker(path(11, { 0: 0, 10: 1 }));
    for (let i = 0; i < probability.length; i++) expect(probability[i]).toBeCloseTo(i / 10, 3);
  });

  it("lets a strong prior win over a distant seed", () => {
    const problem = path(5, { 0: 1 });
    problem.priorWeight[4] = 100;
    problem.priorValue[4] = 0;
    const { probability } = solveRandomWalker(problem);
    expect(probability[0]).toBe(1);
    expect(probability[4]).toBeLessThan(0.05);
    for (let i = 1; i < 5; i++) expect(probability[i]).toBeLessThanOrEqual(probability[i - 1]);
  });

  it("keeps every probability in [0, 1] on a graph without seeds", () => {
    const { probability } = solveRandomWalker(path(4, {}));
    for (const p of probability) expect(p).toBeGreaterThanOrEqual(0);
    for (const p of probability) expect(p).toBeLessThanOrEqual(1);
  });
});
