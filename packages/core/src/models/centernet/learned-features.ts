/**
 * CenterNet backbone features as classic-backend features: per-image standardised planes on the
 * 64 x 64 embedding grid, and their per-superpixel means for the decoder's click-similarity prior.
 */
import { FEATURE_NAMES } from "../classic/features.ts";
import type { ClassicState } from "../classic/state.ts";
import { PRIOR_FEATURE_WEIGHTS } from "../classic/weights.ts";
import type { GraphOutput } from "./model.ts";

/** NHWC [1, h, w, C] -> C standardised planes (CHW) of size x size (area-averaged or repeated). */
export function standardisedPlanes(features: GraphOutput, size: number): Float32Array {
  const [, h, w, c] = features.shape;
  const out = new Float32Array(c * size * size);
  for (let ch = 0; ch < c; ch++) {
    const plane = out.subarray(ch * size * size, (ch + 1) * size * size);
    for (let y = 0; y < size; y++) {
      const sy0 = Math.floor((y * h) / size);
      const sy1 = Math.max(sy0 + 1, Math.floor(((y + 1) * h) / size));
      for (let x = 0; x < size; x++) {
        const sx0 = Math.floor((x * w) / size);
        const sx1 = Math.max(sx0 + 1, Math.floor(((x + 1) * w) / size));
        let sum = 0;
        for (let sy = sy0; sy < sy1; sy++) {
          for (let sx = sx0; sx < sx1; sx++) sum += features.data[(sy * w + sx) * c + ch];
        }
        plane[y * size + x] = sum / ((sy1 - sy0) * (sx1 - sx0));
      }
    }
    let mean = 0;
    for (const v of plane) mean += v;
    mean /= plane.length;
    let variance = 0;
    for (const v of plane) variance += (v - mean) ** 2;
    const std = Math.sqrt(variance / plane.length);
    // A dead channel (constant on this image) carries nothing: zero, not noise blown up by 1/std.
    for (let i = 0; i < plane.length; i++) plane[i] = std > 1e-6 ? (plane[i] - mean) / std : 0;
  }
  return out;
}

/** Sum of the handcrafted prior's feature weights: the learned features get the same total weight. */
const HANDCRAFTED_PRIOR_WEIGHT = PRIOR_FEATURE_WEIGHTS.reduce((a, b) => a + b, 0);

const POSITION = ["position_x", "position_y"].map((n) =>
  FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]),
);

/**
 * The decoder state with the click-similarity prior recomputed on learned features: "learned" =
 * learned planes + position (geometry, not a cue), "combined" = the handcrafted prior features plus
 * the learned ones, each family with the same total weight. Edges stay handcrafted: boundaries
 * between neighbours are a colour question, "does this region look like the clicked one" a semantic one.
 */
export function learnedPriorState(
  state: ClassicState,
  planes: Float32Array,
  channels: number,
  size: number,
  mode: "learned" | "combined",
  learnedWeight = 1,
): ClassicState {
  const { graph, labels, workWidth: ww, workHeight: wh } = state;
  const n = graph.count;
  const sums = new Float32Array(n * channels);
  const counts = new Float32Array(n);
  const xs = Int32Array.from({ length: ww }, (_, x) =>
    Math.min(size - 1, Math.floor(((x + 0.5) * size) / ww)),
  );
  for (let y = 0; y < wh; y++) {
    const fy = Math.min(size - 1, Math.floor(((y + 0.5) * size) / wh));
    for (let x = 0; x < ww; x++) {
      const node = labels[y * ww + x];
      const cell = fy * size + xs[x];
      counts[node] += 1;
      const base = node * channels;
      for (let c = 0; c < channels; c++) sums[base + c] += planes[c * size * size + cell];
    }
  }
  const scale = Math.sqrt((learnedWeight * HANDCRAFTED_PRIOR_WEIGHT) / channels);
  const keep = mode === "combined" ? state.priorDims : 0;
  const extra = mode === "learned" ? POSITION.length : 0;
  const dims = keep + channels + extra;
  const priorFeatures = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const o = i * dims;
    if (keep > 0) priorFeatures.set(state.priorFeatures.subarray(i * keep, (i + 1) * keep), o);
    const inv = counts[i] > 0 ? scale / counts[i] : 0;
    for (let c = 0; c < channels; c++) priorFeatures[o + keep + c] = sums[i * channels + c] * inv;
    POSITION.slice(0, extra).forEach((f, k) => {
      priorFeatures[o + keep + channels + k] =
        graph.features[i * graph.dims + f] * Math.sqrt(PRIOR_FEATURE_WEIGHTS[f]);
    });
  }
  let distSum = 0;
  for (let i = 0; i < n; i++) {
    for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) {
      const j = graph.neighbours[e];
      let d = 0;
      for (let k = 0; k < dims; k++) d += (priorFeatures[i * dims + k] - priorFeatures[j * dims + k]) ** 2;
      distSum += d;
    }
  }
  return {
    ...state,
    priorFeatures,
    priorDims: dims,
    meanNeighbourDistance: distSum / Math.max(1, graph.neighbours.length) || 1,
  };
}
