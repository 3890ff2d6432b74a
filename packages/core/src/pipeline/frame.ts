/**
 * Where the image sits inside the segmenter's embedding / low-res frame. The ports do not say: SAM
 * letterboxes (the image fills the top-left of a padded square), a backend may also stretch. We find
 * out from one decode, without knowing the backend: the low-res logits, read under each hypothesis,
 * must agree with the full-size mask that the backend itself returned.
 */
import type { ContentRegion } from "../agent/state.ts";
import { FULL_FRAME } from "../agent/state.ts";
import type { ProbabilityMask } from "../mask/types.ts";
import type { DecodeResult } from "../models/ports.ts";

/** The content region under the letterbox hypothesis (long side fills the frame). */
export function letterboxRegion(width: number, height: number): ContentRegion {
  const long = Math.max(width, height);
  return { fx: width / long, fy: height / long };
}

/** Index of the best candidate (highest predicted quality). */
export function bestCandidate(result: DecodeResult): number {
  let best = 0;
  for (let i = 1; i < result.scores.length; i++) if (result.scores[i] > result.scores[best]) best = i;
  return best;
}

function lowResAt(logits: Float32Array, size: number, region: ContentRegion, u: number, v: number): number {
  const lx = Math.min(size - 1, Math.floor(u * region.fx * size));
  const ly = Math.min(size - 1, Math.floor(v * region.fy * size));
  return logits[ly * size + lx];
}

/**
 * Picks the hypothesis (stretch or letterbox) under which the best candidate's low-res logits agree
 * most with its full-size mask, sampled on a 48 x 48 lattice. Square images need no decode.
 */
export function inferContentRegion(result: DecodeResult, width: number, height: number): ContentRegion {
  if (width === height) return FULL_FRAME;
  const b = bestCandidate(result);
  const mask = result.masks[b];
  const bits = mask.data; // once: a lazy backend mask paints itself behind this getter
  const logits = result.lowResLogits[b];
  const letterbox = letterboxRegion(width, height);
  let stretchAgree = 0;
  let letterAgree = 0;
  const n = 48;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const u = (i + 0.5) / n;
      const v = (j + 0.5) / n;
      const m = bits[Math.floor(v * mask.height) * mask.width + Math.floor(u * mask.width)] === 1;
      if (lowResAt(logits, result.lowResSize, FULL_FRAME, u, v) > 0 === m) stretchAgree++;
      if (lowResAt(logits, result.lowResSize, letterbox, u, v) > 0 === m) letterAgree++;
    }
  }
  return letterAgree > stretchAgree ? letterbox : FULL_FRAME;
}

/**
 * sigmoid(low-res logits) read back at every image pixel (nearest), the output probability map.
 * The sigmoid is taken once per low-res cell and the cell of each column once per image: a
 * megapixel image has ~15x more pixels than the 256 x 256 grid has cells.
 */
export function probabilityFromLowRes(
  logits: Float32Array,
  size: number,
  region: ContentRegion,
  width: number,
  height: number,
): ProbabilityMask {
  const sigmoid = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) sigmoid[i] = 1 / (1 + Math.exp(-logits[i]));
  const column = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    column[x] = Math.min(size - 1, Math.floor(((x + 0.5) / width) * region.fx * size));
  }
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const ly = Math.min(size - 1, Math.floor(((y + 0.5) / height) * region.fy * size));
    const row = ly * size;
    const o = y * width;
    for (let x = 0; x < width; x++) data[o + x] = sigmoid[row + column[x]];
  }
  return { width, height, data };
}
