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

/** Dense Gaussian elimination of the same normal equations, for a reference answer. */
function denseSolve(p: ReturnType<typeof path>): Float64Array {
  const n = p.count;
  const free = [...Array(n).keys()].filter((i) => p.seeds[i] < 0);
  const idx = new Map(free.map((i, k) => [i, k]));
  const m = free.length;
  const a = Array.from({ length: m }, () => new Float64Array(m + 1));
  free.forEach((i, k) => {
    a[k][k] += p.priorWeight[i] + 1e-6;
    a[k][m] += p.priorWeight[i] * p.priorValue[i] + 0.5e-6;
    for (let e = p.offsets[i]; e < p.offsets[i + 1]; e++) {
      const j = p.neighbours[e];
      a[k][k] += p.weights[e];
      if (p.seeds[j] >= 0) a[k][m] += p.weights[e] * p.seeds[j];
      else a[k][idx.get(j)!] -= p.weights[e];
    }
  });
  for (let c = 0; c < m; c++) {
    for (let r = c + 1; r < m; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= m; k++) a[r][k] -= f * a[c][k];
    }
  }
  const x = new Float64Array(m);
  for (let r = m - 1; r >= 0; r--) {
    let s = a[r][m];
    for (let k = r + 1; k < m; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = p.seeds[i] >= 0 ? p.seeds[i] : x[idx.get(i)!];
  return out;
}

describe("random walker on the free nodes only", () => {
  it("agrees with a dense solve when seeds and priors are scattered along the graph", () => {
    const problem = path(40, { 3: 1, 17: 0, 25: 1, 39: 0 });
    for (let i = 0; i < 40; i++) {
      problem.weights.fill(1);
      if (i % 7 === 0) {
        problem.priorWeight[i] = 0.3;
        problem.priorValue[i] = (i % 3) / 2;
      }
    }
    for (let e = 0; e < problem.weights.length; e++) problem.weights[e] = 0.5 + ((e * 37) % 11) / 10;
    // Keep the conductances symmetric: edge (i, j) and (j, i) share a weight.
    for (let i = 0; i < 40; i++) {
      for (let e = problem.offsets[i]; e < problem.offsets[i + 1]; e++) {
        const j = problem.neighbours[e];
        if (j < i) continue;
        for (let f = problem.offsets[j]; f < problem.offsets[j + 1]; f++) {
          if (problem.neighbours[f] === i) problem.weights[f] = problem.weights[e];
        }
      }
    }
    const { probability } = solveRandomWalker(problem, { tolerance: 1e-9 });
    const reference = denseSolve(problem);
    for (let i = 0; i < 40; i++) expect(probability[i]).toBeCloseTo(reference[i], 5);
  });
});
