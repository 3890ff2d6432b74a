/**
 * Area-average resampling of interleaved float or byte images. The classic backend shrinks every
 * image to its working resolution and every feature plane to the 64 x 64 embedding grid; area
 * averaging (exact pixel-overlap weights, separable) avoids the aliasing a point sampler gives when
 * shrinking 10x, and is deterministic across platforms, which sharp's SIMD paths need not be.
 */

interface Taps {
  /** First source index per output index. */
  readonly start: Int32Array;
  /** Number of source taps per output index. */
  readonly count: Int32Array;
  /** Flattened weights, output-major; each output's weights sum to 1. */
  readonly weights: Float32Array;
  readonly offsets: Int32Array;
}

/** Overlap weights between output cell [o*s, (o+1)*s) and each source cell, s = src/dst. */
function areaTaps(src: number, dst: number): Taps {
  const scale = src / dst;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const offsets = new Int32Array(dst);
  const all: number[] = [];
  for (let o = 0; o < dst; o++) {
    const lo = o * scale;
    const hi = Math.max(lo + 1e-9, (o + 1) * scale);
    const first = Math.min(src - 1, Math.floor(lo));
    const last = Math.min(src - 1, Math.max(first, Math.ceil(hi) - 1));
    start[o] = first;
    count[o] = last - first + 1;
    offsets[o] = all.length;
    let sum = 0;
    const local: number[] = [];
    for (let i = first; i <= last; i++) {
      const w = Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i));
      local.push(w);
      sum += w;
    }
    for (const w of local) all.push(sum > 0 ? w / sum : 1 / local.length);
  }
  return { start, count, weights: Float32Array.from(all), offsets };
}

// Not image/resize.ts's resizeFloatArea (float64, within 2e-7): float32 sums for the training encode.
/**
 * Resize an interleaved image (`channels` values per pixel) to dstW x dstH by area averaging.
 * Returns float values (the caller rounds if it needs bytes).
 */
export function resizeArea(
  src: ArrayLike<number>,
  srcW: number,
  srcH: number,
  channels: number,
  dstW: number,
  dstH: number,
): Float32Array {
  if (srcW === dstW && srcH === dstH) return Float32Array.from(src);
  // One concrete array type keeps the hot loops monomorphic (bytes and floats both come in).
  const input = src instanceof Float32Array ? src : Float32Array.from(src);
  const tx = areaTaps(srcW, dstW);
  const ty = areaTaps(srcH, dstH);
  const tmp = new Float32Array(dstW * srcH * channels);
  for (let y = 0; y < srcH; y++) {
    const srow = y * srcW * channels;
    const trow = y * dstW * channels;
    for (let ox = 0; ox < dstW; ox++) {
      const s = tx.start[ox];
      const n = tx.count[ox];
      const off = tx.offsets[ox];
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[off + k] * input[srow + (s + k) * channels + c];
        tmp[trow + ox * channels + c] = acc;
      }
    }
  }
  const out = new Float32Array(dstW * dstH * channels);
  const rowLen = dstW * channels;
  for (let oy = 0; oy < dstH; oy++) {
    const s = ty.start[oy];
    const n = ty.count[oy];
    const off = ty.offsets[oy];
    const orow = oy * rowLen;
    for (let k = 0; k < n; k++) {
      const w = ty.weights[off + k];
      const trow = (s + k) * rowLen;
      for (let i = 0; i < rowLen; i++) out[orow + i] += w * tmp[trow + i];
    }
  }
  return out;
}

/** Working size: the long side shrunk to `longSide` (never enlarged), aspect ratio kept. */
export function workingSize(
  width: number,
  height: number,
  longSide: number,
): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/**
 * Index tables mapping each destination column/row to the source column/row whose cell holds its
 * centre (nearest neighbour), for label maps that must not be blended.
 */
export function nearestIndex(dst: number, src: number): Int32Array {
  const out = new Int32Array(dst);
  const scale = src / dst;
  for (let i = 0; i < dst; i++) out[i] = Math.min(src - 1, Math.floor((i + 0.5) * scale));
  return out;
}
