import { AlignSamError } from "../errors.ts";
import { resizeFloatBilinear } from "../image/resize.ts";
import type { BinaryMask, ProbabilityMask } from "./types.ts";

function checkSizes(kind: string, w: number, h: number, length: number, outW: number, outH: number): void {
  const ok = (a: number, b: number) => Number.isInteger(a) && Number.isInteger(b) && a > 0 && b > 0;
  if (!ok(w, h) || length !== w * h) {
    throw new AlignSamError("MASK_SHAPE", `${kind} ${w}x${h} has ${length} values, expected ${w * h}`);
  }
  if (!ok(outW, outH)) {
    throw new AlignSamError("INVALID_ARGUMENT", `output size must be positive integers, got ${outW}x${outH}`);
  }
}

/**
 * Nearest-neighbour resize of a binary mask, so it stays binary when a mask must be compared with
 * another at a different size. Source index `floor(dst * in / out)`, PyTorch's
 * `F.interpolate(mode="nearest")` and OpenCV's INTER_NEAREST.
 * @example
 * const atImageSize = resizeMaskNearest(gridMask, image.width, image.height);
 */
export function resizeMaskNearest(mask: BinaryMask, width: number, height: number): BinaryMask {
  checkSizes("mask", mask.width, mask.height, mask.data.length, width, height);
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(Math.floor((x * mask.width) / width), mask.width - 1);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.min(Math.floor((y * mask.height) / height), mask.height - 1) * mask.width;
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = mask.data[row + xs[x]];
  }
  return { width, height, data: out };
}

/**
 * Bilinear resize of a probability map (half-pixel centres, as resizeFloatBilinear), so soft
 * masks move between SAM's low-res grid, the action grid and the image without blocky edges.
 * @example
 * const p = resizeProbability(lowResProbability, image.width, image.height);
 */
export function resizeProbability(p: ProbabilityMask, width: number, height: number): ProbabilityMask {
  checkSizes("probability map", p.width, p.height, p.data.length, width, height);
  return { width, height, data: resizeFloatBilinear(p.data, p.width, p.height, width, height) };
}

/**
 * Binarises a probability map: foreground where p > t (strictly, as SAM's `mask_threshold`
 * comparison `masks > 0.0` on logits, i.e. p > 0.5).
 * @default t 0.5
 * @example
 * const mask = thresholdProbability(p);
 */
export function thresholdProbability(p: ProbabilityMask, t = 0.5): BinaryMask {
  if (p.data.length !== p.width * p.height) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `probability map ${p.width}x${p.height} has ${p.data.length} values`,
    );
  }
  const out = new Uint8Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i] > t ? 1 : 0;
  return { width: p.width, height: p.height, data: out };
}
