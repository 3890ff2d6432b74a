// Baseline copy of packages/core/src/models/classic/walker.ts as of commit 6c2edd3 (before the
// performance work), kept callable so bench/run.ts can time old and new paths in one run and check
// they agree. Not used by the product.
/**
 * Random walker with priors (Grady, CVPR 2005 / TPAMI 2006) on the region graph: the foreground
 * probability x minimises sum_ij w_ij (x_i - x_j)^2 + sum_i g_i (x_i - q_i)^2 with clicked nodes
 * fixed. The normal equations, (L + G) x = G q + seed terms, are symmetric positive definite, so
 * Jacobi-preconditioned conjugate gradient solves them in a few dozen sparse products.
 */

export interface WalkerProblem {
  readonly count: number;
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  readonly weights: Float32Array;
  /** -1 free, 0 background seed, 1 foreground seed. */
  readonly seeds: Int8Array;
  /** Prior strength g_i (>= 0) and prior foreground probability q_i per node. */
  readonly priorWeight: Float32Array;
  readonly priorValue: Float32Array;
}

export interface WalkerResult {
  readonly probability: Float32Array;
  readonly iterations: number;
}

export interface WalkerSolveOptions {
  /** Relative residual at which CG stops; 1e-3 leaves probabilities exact to about 1e-2, ample for a 1/2 threshold. */
  readonly tolerance?: number;
  readonly maxIterations?: number;
  /** Warm start (e.g. a sibling candidate's solution). */
  readonly initial?: Float32Array;
}

/** Solve for the foreground probability of every node (seeds keep their values). */
export function solveRandomWalker(problem: WalkerProblem, solve: WalkerSolveOptions = {}): WalkerResult {
  const { tolerance = 1e-3, maxIterations = 400, initial } = solve;
  const { count, offsets, neighbours, weights, seeds, priorWeight, priorValue } = problem;
  const x = new Float64Array(count);
  const diag = new Float64Array(count);
  const rhs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (seeds[i] >= 0) {
      x[i] = seeds[i];
      continue;
    }
    // A vanishing pull towards 1/2 keeps components without seeds or priors well posed.
    let d = priorWeight[i] + 1e-6;
    let b = priorWeight[i] * priorValue[i] + 0.5e-6;
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const w = weights[e];
      d += w;
      const j = neighbours[e];
      if (seeds[j] >= 0) b += w * seeds[j];
    }
    diag[i] = d;
    rhs[i] = b;
    x[i] = initial ? initial[i] : priorWeight[i] > 0 ? priorValue[i] : 0.5;
  }
  const apply = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < count; i++) {
      if (seeds[i] >= 0) {
        out[i] = 0;
        continue;
      }
      let s = diag[i] * v[i];
      for (let e = offsets[i]; e < offsets[i + 1]; e++) {
        const j = neighbours[e];
        if (seeds[j] < 0) s -= weights[e] * v[j];
      }
      out[i] = s;
    }
  };
  const r = new Float64Array(count);
  const z = new Float64Array(count);
  const p = new Float64Array(count);
  const ap = new Float64Array(count);
  const free = (v: Float64Array) => {
    for (let i = 0; i < count; i++) if (seeds[i] >= 0) v[i] = 0;
  };
  const xFree = Float64Array.from(x);
  free(xFree);
  apply(xFree, ap);
  let rz = 0;
  let bnorm = 0;
  for (let i = 0; i < count; i++) {
    if (seeds[i] >= 0) continue;
    r[i] = rhs[i] - ap[i];
    z[i] = r[i] / diag[i];
    p[i] = z[i];
    rz += r[i] * z[i];
    bnorm += rhs[i] * rhs[i];
  }
  const stop = tolerance * tolerance * Math.max(bnorm, 1e-30);
  let it = 0;
  for (; it < maxIterations; it++) {
    let rr = 0;
    for (let i = 0; i < count; i++) rr += r[i] * r[i];
    if (rr <= stop) break;
    apply(p, ap);
    let pap = 0;
    for (let i = 0; i < count; i++) pap += p[i] * ap[i];
    if (!(pap > 0)) break;
    const alpha = rz / pap;
    let rzNew = 0;
    for (let i = 0; i < count; i++) {
      if (seeds[i] >= 0) continue;
      xFree[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
      z[i] = r[i] / diag[i];
      rzNew += r[i] * z[i];
    }
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < count; i++) p[i] = seeds[i] >= 0 ? 0 : z[i] + beta * p[i];
  }
  const probability = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = seeds[i] >= 0 ? seeds[i] : xFree[i];
    probability[i] = Math.min(1, Math.max(0, v));
  }
  return { probability, iterations: it };
}
