import sharp from "sharp";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "./types.ts";

/** Resampling kernels for RGB resizing. */
export const RESIZE_KERNELS = ["bilinear", "area"] as const;
export type ResizeKernel = (typeof RESIZE_KERNELS)[number];

function checkSize(what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `${what} size must be positive integers, got ${width}x${height}`,
    );
  }
}

function checkPlane(
  data: ArrayLike<number>,
  width: number,
  height: number,
  outW: number,
  outH: number,
): void {
  checkSize("input", width, height);
  checkSize("output", outW, outH);
  if (data.length !== width * height) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `map has ${data.length} values, expected ${width}x${height} = ${width * height}`,
    );
  }
}

/** Per-output-index source taps for bilinear sampling along one axis. */
interface LinearTaps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

function linearTaps(inSize: number, outSize: number, alignCorners: boolean): LinearTaps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    // PyTorch's area_pixel_compute_source_index: half-pixel centres, negatives clamped to 0.
    let src = alignCorners ? i * scale : (i + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[i] = i0;
    hi[i] = Math.min(i0 + 1, inSize - 1);
    frac[i] = Math.min(Math.max(src - i0, 0), 1);
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize of a single-channel float map with PyTorch's `F.interpolate(mode="bilinear")`
 * conventions (no antialiasing), because SAM's mask post-processing is defined by it and the
 * logits must match the reference export. Synchronous: it runs in the agent's inner loop.
 *
 * @param alignCorners false (default): half-pixel centres, `src = (dst + 0.5) * in / out - 0.5`;
 *   true: corner pixels aligned, `src = dst * (in - 1) / (out - 1)`.
 * @example
 * const logits1024 = resizeFloatBilinear(lowRes, 256, 256, 1024, 1024);
 */
export function resizeFloatBilinear(
  data: Float32Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  alignCorners = false,
): Float32Array {
  checkPlane(data, width, height, outW, outH);
  const out = new Float32Array(outW * outH);
  const xs = linearTaps(width, outW, alignCorners);
  const ys = linearTaps(height, outH, alignCorners);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.lo[y] * width;
    const r1 = ys.hi[y] * width;
    const ly = ys.frac[y];
    const o = y * outW;
    for (let x = 0; x < outW; x++) {
      const x0 = xs.lo[x];
      const x1 = xs.hi[x];
      const lx = xs.frac[x];
      const top = data[r0 + x0] + (data[r0 + x1] - data[r0 + x0]) * lx;
      const bottom = data[r1 + x0] + (data[r1 + x1] - data[r1 + x0]) * lx;
      out[o + x] = top + (bottom - top) * ly;
    }
  }
  return out;
}

/** Per-output-index source ranges and weights for box (area) sampling along one axis. */
interface AreaTaps {
  start: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weight: Float64Array;
}

function areaTaps(inSize: number, outSize: number): AreaTaps {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const weights: number[] = [];
  for (let i = 0; i < outSize; i++) {
    const a = i * scale;
    const b = (i + 1) * scale;
    const first = Math.floor(a);
    const last = Math.min(Math.ceil(b), inSize) - 1;
    start[i] = first;
    offset[i] = weights.length;
    let n = 0;
    for (let k = first; k <= last; k++) {
      const overlap = Math.min(b, k + 1) - Math.max(a, k);
      if (overlap <= 0) continue;
      if (n === 0) start[i] = k;
      weights.push(overlap / scale);
      n++;
    }
    count[i] = n;
  }
  return { start, count, offset, weight: Float64Array.from(weights) };
}

/**
 * Box-average resize of a single-channel float map: each output pixel is the mean of the input
 * area it covers, fractional overlaps weighted (cv2.INTER_AREA when shrinking; equal to PyTorch's
 * adaptive average pooling for integer ratios). Used to bring masks down to the action grid
 * without the aliasing a point sampler would add.
 * @example
 * const cellCoverage = resizeFloatArea(mask800, 800, 800, 10, 10);
 */
export function resizeFloatArea(
  data: Float32Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
): Float32Array {
  checkPlane(data, width, height, outW, outH);
  return Float32Array.from(areaInterleaved(data, width, height, 1, outW, outH));
}

/** Box average over interleaved channels, separable: rows first, then columns, in float64. */
function areaInterleaved(
  data: Float32Array,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
): Float64Array {
  const xs = areaTaps(width, outW);
  const ys = areaTaps(height, outH);
  const rowStride = outW * channels;
  const rows = new Float64Array(height * rowStride);
  for (let y = 0; y < height; y++) {
    const r = y * width * channels;
    const o = y * rowStride;
    for (let x = 0; x < outW; x++) {
      const base = xs.offset[x];
      const first = r + xs.start[x] * channels;
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < xs.count[x]; k++) s += data[first + k * channels + c] * xs.weight[base + k];
        rows[o + x * channels + c] = s;
      }
    }
  }
  const out = new Float64Array(outH * rowStride);
  for (let y = 0; y < outH; y++) {
    const base = ys.offset[y];
    const o = y * rowStride;
    for (let k = 0; k < ys.count[y]; k++) {
      const w = ys.weight[base + k];
      const r = (ys.start[y] + k) * rowStride;
      for (let i = 0; i < rowStride; i++) out[o + i] += rows[r + i] * w;
    }
  }
  return out;
}

function resizeRgbArea(image: RgbImage, width: number, height: number): RgbImage {
  const resized = areaInterleaved(Float32Array.from(image.data), image.width, image.height, 3, width, height);
  const out = new Uint8Array(resized.length);
  for (let i = 0; i < resized.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(resized[i])));
  return { width, height, data: out };
}

/**
 * Resizes an RGB image to exactly width x height (aspect ratio not kept; letterboxing is the
 * caller's choice). "bilinear" is libvips' antialiased linear reduce, close to PIL's BILINEAR that
 * SAM's reference preprocessing uses; "area" is an exact box average (see resizeFloatArea).
 * @example
 * const grid = await resizeRgb(image, 800, 800, "bilinear");
 */
export async function resizeRgb(
  image: RgbImage,
  width: number,
  height: number,
  kernel: ResizeKernel,
): Promise<RgbImage> {
  checkSize("input", image.width, image.height);
  checkSize("output", width, height);
  if (image.data.length !== image.width * image.height * 3) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `RGB image ${image.width}x${image.height} has ${image.data.length} bytes, expected ${image.width * image.height * 3}`,
    );
  }
  if (width === image.width && height === image.height) {
    return { width, height, data: image.data.slice() };
  }
  if (kernel === "area") return resizeRgbArea(image, width, height);
  if (kernel !== "bilinear") {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `unknown resize kernel "${kernel}"; expected one of: ${RESIZE_KERNELS.join(", ")}`,
      { valid: [...RESIZE_KERNELS] },
    );
  }
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit: "fill", kernel: "linear" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(
      `sharp returned ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`,
    );
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Nearest-neighbour resize of a single-channel map (a 0/1 mask, a label map, a probability map),
 * sampling at pixel centres: labels stay labels, and a mask scaled back up to the input's size
 * covers the same area it did at the working size. Returns the same array type it is given.
 * @example
 * const full = resizePlaneNearest(mask.data, 2048, 1365, 6000, 4000);
 */
export function resizePlaneNearest<T extends Uint8Array | Float32Array>(
  data: T,
  width: number,
  height: number,
  outW: number,
  outH: number,
): T {
  checkPlane(data, width, height, outW, outH);
  const out = (data instanceof Uint8Array ? new Uint8Array(outW * outH) : new Float32Array(outW * outH)) as T;
  const xs = new Int32Array(outW);
  for (let x = 0; x < outW; x++) xs[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outW));
  for (let y = 0; y < outH; y++) {
    const row = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outH)) * width;
    const o = y * outW;
    for (let x = 0; x < outW; x++) out[o + x] = data[row + xs[x]];
  }
  return out;
}
