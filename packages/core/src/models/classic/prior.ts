/**
 * The unary terms of the random walker: (1) click similarity, so a region that looks like a clicked
 * one is pulled to its label even when no path of similar neighbours joins them (blur and shadow
 * come in disconnected pieces); (2) an implicit background on the image border, minus the border
 * nodes that look like a positive click (a blurred background touches the border and is the
 * foreground of the blur task); (3) a previous mask (SAM's mask_input) for iterative refinement.
 */
import type { ResolvedClassicOptions } from "./options.ts";
import type { ClassicState } from "./state.ts";

export interface NodePrior {
  readonly weight: Float32Array;
  readonly value: Float32Array;
}

/** What one decode asks of the prior. */
export interface PriorRequest {
  readonly positive: readonly number[];
  readonly negative: readonly number[];
  /** Previous mask: mean foreground probability per node (NaN where unknown). */
  readonly maskPrior?: Float32Array;
  /** Multiplier of the similarity prior's strength (candidates differ by it). */
  readonly similarityScale: number;
}

/** Squared distance in the prior's (pre-weighted) feature space. */
function dist2(f: Float32Array, dims: number, i: number, j: number): number {
  let d = 0;
  const a = i * dims;
  const b = j * dims;
  for (let k = 0; k < dims; k++) {
    const diff = f[a + k] - f[b + k];
    d += diff * diff;
  }
  return d;
}

/** Smallest distance from every node to any exemplar. */
function nearestAll(state: ClassicState, exemplars: readonly number[]): Float32Array {
  const { priorFeatures: f, priorDims: dims } = state;
  const n = state.graph.count;
  const out = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  for (const j of exemplars) {
    const b = j * dims;
    for (let i = 0, a = 0; i < n; i++, a += dims) {
      let d = 0;
      for (let k = 0; k < dims; k++) {
        const diff = f[a + k] - f[b + k];
        d += diff * diff;
      }
      if (d < out[i]) out[i] = d;
    }
  }
  return out;
}

/** Most border exemplars kept: nodes on the border are alike, a diverse few describe them. */
const MAX_BORDER_EXEMPLARS = 24;

/**
 * Farthest-point sampling: a deterministic, diverse subset of `nodes` (the first is the first
 * node, each next one the node farthest from those already taken).
 */
function diverseSubset(state: ClassicState, nodes: readonly number[], k: number): number[] {
  if (nodes.length <= k) return [...nodes];
  const { priorFeatures: f, priorDims: dims } = state;
  const far = new Float32Array(nodes.length).fill(Number.POSITIVE_INFINITY);
  const chosen = [nodes[0]];
  while (chosen.length < k) {
    const last = chosen[chosen.length - 1];
    let best = -1;
    let bestD = -1;
    for (let m = 0; m < nodes.length; m++) {
      const d = Math.min(far[m], dist2(f, dims, nodes[m], last));
      far[m] = d;
      if (d > bestD) {
        bestD = d;
        best = m;
      }
    }
    if (bestD <= 0) break;
    chosen.push(nodes[best]);
  }
  return chosen;
}

function addTerm(
  prior: { weight: Float32Array; value: Float32Array },
  i: number,
  w: number,
  q: number,
): void {
  if (!(w > 0) || Number.isNaN(q)) return;
  const total = prior.weight[i] + w;
  prior.value[i] = (prior.value[i] * prior.weight[i] + q * w) / total;
  prior.weight[i] = total;
}

/**
 * Distances from every node to the positive and to the background exemplars, which all candidates
 * of one decode share (computed once, they are the decode's main cost).
 */
export interface ExemplarDistances {
  readonly toPositive: Float32Array | undefined;
  readonly toBackground: Float32Array | undefined;
  readonly border: readonly number[];
}

export function exemplarDistances(
  state: ClassicState,
  options: ResolvedClassicOptions,
  positive: readonly number[],
  negative: readonly number[],
  guardScale = 1,
  toPositive: Float32Array | undefined = positive.length > 0 ? nearestAll(state, positive) : undefined,
): ExemplarDistances {
  const { graph, meanNeighbourDistance } = state;
  const guard = options.borderGuard * guardScale * meanNeighbourDistance;
  const border: number[] = [];
  if (options.borderStrength > 0) {
    for (let i = 0; i < graph.count; i++) {
      if (!graph.border[i] || positive.includes(i) || negative.includes(i)) continue;
      if (toPositive && toPositive[i] < guard) continue;
      border.push(i);
    }
  }
  const background = [...negative, ...diverseSubset(state, border, MAX_BORDER_EXEMPLARS)];
  const toBackground = background.length > 0 ? nearestAll(state, background) : undefined;
  return { toPositive, toBackground, border };
}

/** Build the node priors of one candidate. */
export function buildPrior(
  state: ClassicState,
  options: ResolvedClassicOptions,
  distances: ExemplarDistances,
  request: PriorRequest,
): NodePrior {
  const { graph, meanDegree, meanNeighbourDistance } = state;
  const n = graph.count;
  const prior = { weight: new Float32Array(n), value: new Float32Array(n) };
  const { toPositive, toBackground, border } = distances;
  const gamma = options.priorStrength * request.similarityScale * meanDegree;
  if (toPositive && toBackground && gamma > 0) {
    const tau = options.priorTemperature * meanNeighbourDistance;
    for (let i = 0; i < n; i++) {
      // Softmax of the two negated distances: 1/2 where both are equally near.
      const z = Math.max(-30, Math.min(30, (toPositive[i] - toBackground[i]) / tau));
      addTerm(prior, i, gamma, 1 / (1 + Math.exp(z)));
    }
  }
  const borderGamma = (options.borderStrength * meanDegree) / (1 + request.negative.length);
  for (const i of border) addTerm(prior, i, borderGamma, 0);
  if (request.maskPrior && options.maskInputStrength > 0) {
    const g = options.maskInputStrength * meanDegree;
    for (let i = 0; i < n; i++) addTerm(prior, i, g, request.maskPrior[i]);
  }
  return prior;
}
