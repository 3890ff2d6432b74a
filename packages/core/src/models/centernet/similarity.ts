/**
 * From CenterNet outputs to M_c: the selected classes' evidence per grid cell. Two readings of the
 * detector, chosen by measurement (README.md here): the centre heatmaps (a blob at each object's
 * centre, sized by the object) or the decoded boxes painted with their scores (the whole extent).
 */
import type { SimilarityMap } from "../ports.ts";
import type { GraphOutput } from "./model.ts";

export const PRIOR_MODES = ["heatmap", "boxes", "both"] as const;
export type PriorMode = (typeof PRIOR_MODES)[number];

/** Per-cell max over the selected heatmap channels (NHWC [1, H, W, K]). */
export function classHeatmap(heatmap: GraphOutput, classes: readonly number[]): SimilarityMap {
  const [, h, w, k] = heatmap.shape;
  const data = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (const c of classes) best = Math.max(best, heatmap.data[p * k + c]);
    data[p] = best;
  }
  return { width: w, height: h, data };
}

/**
 * The selected classes' detections ([1, K, 6]: x1, y1, x2, y2 in input pixels, score, class) painted
 * on a width x height map over the (stretched) input: each cell keeps the best score covering it.
 */
export function classBoxes(
  detections: GraphOutput,
  classes: readonly number[],
  inputSize: number,
  width: number,
  height: number,
  minScore: number,
): SimilarityMap {
  const data = new Float32Array(width * height);
  const rows = detections.shape[1];
  const wanted = new Set(classes);
  for (let r = 0; r < rows; r++) {
    const [x1, y1, x2, y2, score, cls] = detections.data.subarray(r * 6, r * 6 + 6);
    if (!(score >= minScore) || !wanted.has(Math.round(cls))) continue;
    const gx0 = Math.max(0, Math.floor((x1 / inputSize) * width));
    const gy0 = Math.max(0, Math.floor((y1 / inputSize) * height));
    const gx1 = Math.min(width, Math.ceil((x2 / inputSize) * width));
    const gy1 = Math.min(height, Math.ceil((y2 / inputSize) * height));
    for (let y = gy0; y < gy1; y++) {
      for (let x = gx0; x < gx1; x++) {
        const i = y * width + x;
        if (score > data[i]) data[i] = score;
      }
    }
  }
  return { width, height, data };
}

/**
 * Resample to a grid, keeping peaks: each target cell takes the max of the source cells it covers
 * (an average would wash a small object's blob out of a coarse grid), the nearest cell when finer.
 */
export function resampleMax(map: SimilarityMap, width: number, height: number): SimilarityMap {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy0 = Math.floor((y * map.height) / height);
    const sy1 = Math.max(sy0 + 1, Math.floor(((y + 1) * map.height) / height));
    for (let x = 0; x < width; x++) {
      const sx0 = Math.floor((x * map.width) / width);
      const sx1 = Math.max(sx0 + 1, Math.floor(((x + 1) * map.width) / width));
      let best = 0;
      for (let sy = sy0; sy < sy1; sy++) {
        for (let sx = sx0; sx < sx1; sx++) best = Math.max(best, map.data[sy * map.width + sx]);
      }
      data[y * width + x] = best;
    }
  }
  return { width, height, data };
}

/** Scales a map so its peak is 1 (left as is when nothing scores): M_c's contrast, not its confidence. */
export function peakNormalise(map: SimilarityMap, floor = 1e-3): SimilarityMap {
  let max = 0;
  for (const v of map.data) max = Math.max(max, v);
  if (max < floor) return map;
  return { ...map, data: Float32Array.from(map.data, (v) => v / max) };
}
