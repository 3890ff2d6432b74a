/**
 * Pixel-level refinement weights: each working pixel's probability is a blend of its own node's and
 * its neighbour nodes' probabilities, weighted by how close the pixel's colour is to each node's
 * mean colour and how near it lies to each node. It moves mask edges off the superpixel grid onto
 * colour edges inside a node. The weights do not depend on the prompt, so encode computes them and
 * a decode only does K multiply-adds per pixel.
 */
import type { RegionGraph } from "./graph.ts";

/** Nodes blended per pixel (its own and the K-1 most similar neighbours). */
export const BLEND_K = 4;

export interface PixelBlend {
  /** Pixel-major: pixel p blends nodes[p*K + k] with weights[p*K + k] (weights sum to 1). */
  readonly nodes: Int32Array;
  readonly weights: Float32Array;
}

export interface BlendOptions {
  /** Colour scale (Lab units). */
  readonly colourSigma: number;
  /** Spatial scale (working px), about a superpixel side. */
  readonly spatialSigma: number;
}

/** Compute the blend weights of every working pixel. */
export function computePixelBlend(
  labels: Int32Array,
  width: number,
  lab: { L: Float32Array; a: Float32Array; b: Float32Array },
  graph: RegionGraph,
  options: BlendOptions,
): PixelBlend {
  const n = labels.length;
  const count = graph.count;
  const mean = new Float32Array(count * 3);
  for (let p = 0; p < n; p++) {
    const i = labels[p];
    mean[i * 3] += lab.L[p];
    mean[i * 3 + 1] += lab.a[p];
    mean[i * 3 + 2] += lab.b[p];
  }
  for (let i = 0; i < count; i++) {
    const a = graph.area[i] || 1;
    mean[i * 3] /= a;
    mean[i * 3 + 1] /= a;
    mean[i * 3 + 2] /= a;
  }
  const nodes = new Int32Array(n * BLEND_K);
  const weights = new Float32Array(n * BLEND_K);
  const ic = 1 / (2 * options.colourSigma * options.colourSigma);
  const is = 1 / (2 * options.spatialSigma * options.spatialSigma);
  // Top K-1 neighbours per pixel by insertion into fixed slots (no per-pixel allocation or sort);
  // ties keep the lower CSR position, so the result is deterministic.
  const topNode = new Int32Array(BLEND_K);
  const topW = new Float64Array(BLEND_K);
  for (let p = 0; p < n; p++) {
    const i = labels[p];
    const x = p % width;
    const y = (p - x) / width;
    const L = lab.L[p];
    const A = lab.a[p];
    const B = lab.b[p];
    let dL = L - mean[i * 3];
    let da = A - mean[i * 3 + 1];
    let db = B - mean[i * 3 + 2];
    topNode[0] = i;
    topW[0] = Math.exp(-(dL * dL + da * da + db * db) * ic) + 1e-6;
    let filled = 1;
    for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) {
      const j = graph.neighbours[e];
      dL = L - mean[j * 3];
      da = A - mean[j * 3 + 1];
      db = B - mean[j * 3 + 2];
      const dx = x - graph.centroidX[j];
      const dy = y - graph.centroidY[j];
      const w = Math.exp(-(dL * dL + da * da + db * db) * ic - (dx * dx + dy * dy) * is);
      if (filled < BLEND_K || w > topW[BLEND_K - 1]) {
        // Append while there is room, else replace the weakest; then sift up past weaker entries.
        let k = filled < BLEND_K ? filled++ : BLEND_K - 1;
        while (k > 1 && topW[k - 1] < w) {
          topW[k] = topW[k - 1];
          topNode[k] = topNode[k - 1];
          k--;
        }
        topW[k] = w;
        topNode[k] = j;
      }
    }
    let sum = 0;
    for (let k = 0; k < filled; k++) sum += topW[k];
    for (let k = 0; k < BLEND_K; k++) {
      nodes[p * BLEND_K + k] = k < filled ? topNode[k] : i;
      weights[p * BLEND_K + k] = k < filled ? topW[k] / sum : 0;
    }
  }
  return { nodes, weights };
}

/** Blend node probabilities into working-pixel probabilities. */
export function blendProbabilities(blend: PixelBlend, nodeP: Float32Array): Float32Array {
  const n = blend.nodes.length / BLEND_K;
  const out = new Float32Array(n);
  const { nodes, weights } = blend;
  for (let p = 0, o = 0; p < n; p++, o += BLEND_K) {
    out[p] =
      weights[o] * nodeP[nodes[o]] +
      weights[o + 1] * nodeP[nodes[o + 1]] +
      weights[o + 2] * nodeP[nodes[o + 2]] +
      weights[o + 3] * nodeP[nodes[o + 3]];
  }
  return out;
}

/**
 * Blend several candidates' node probabilities in one pass over the blend table: a decode blends
 * three candidates, and reading the 2.4 MB table once instead of three times is most of the saving.
 * Each output equals blendProbabilities(blend, nodePs[c]) exactly.
 */
export function blendProbabilitiesMany(blend: PixelBlend, nodePs: readonly Float32Array[]): Float32Array[] {
  if (nodePs.length !== 3) return nodePs.map((p) => blendProbabilities(blend, p));
  const n = blend.nodes.length / BLEND_K;
  const [p0, p1, p2] = nodePs;
  const out0 = new Float32Array(n);
  const out1 = new Float32Array(n);
  const out2 = new Float32Array(n);
  const { nodes, weights } = blend;
  for (let p = 0, o = 0; p < n; p++, o += BLEND_K) {
    const w0 = weights[o];
    const w1 = weights[o + 1];
    const w2 = weights[o + 2];
    const w3 = weights[o + 3];
    const a = nodes[o];
    const b = nodes[o + 1];
    const c = nodes[o + 2];
    const d = nodes[o + 3];
    out0[p] = w0 * p0[a] + w1 * p0[b] + w2 * p0[c] + w3 * p0[d];
    out1[p] = w0 * p1[a] + w1 * p1[b] + w2 * p1[c] + w3 * p1[d];
    out2[p] = w0 * p2[a] + w1 * p2[b] + w2 * p2[c] + w3 * p2[d];
  }
  return [out0, out1, out2];
}
