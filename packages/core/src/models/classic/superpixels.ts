/**
 * SLIC superpixels (Achanta et al., TPAMI 2012) with connectivity enforcement. They shrink the
 * decoder's problem from ~10^5 pixels to a few hundred nodes, which is what makes a decode cost
 * milliseconds; clustering on colour plus a sharpness cue keeps node borders on object and
 * focus boundaries.
 */

export interface SuperpixelOptions {
  /** Grid step in pixels (about the superpixel side). */
  readonly step: number;
  /** Spatial weight m of SLIC: larger gives more compact, less boundary-adherent cells. */
  readonly compactness: number;
  readonly iterations: number;
}

export interface Superpixels {
  readonly width: number;
  readonly height: number;
  /** Pixel -> superpixel id, ids 0..count-1. */
  readonly labels: Int32Array;
  readonly count: number;
}

/**
 * Cluster pixels described by `planes` (already scaled so their units compare with each other)
 * into compact superpixels.
 */
export function slic(
  planes: readonly Float32Array[],
  width: number,
  height: number,
  options: SuperpixelOptions,
): Superpixels {
  const n = width * height;
  const dims = planes.length;
  // Pixel-major copy: the assignment loop reads all dims of one pixel together.
  const feat = new Float32Array(n * dims);
  for (let f = 0; f < dims; f++) {
    const plane = planes[f];
    for (let p = 0; p < n; p++) feat[p * dims + f] = plane[p];
  }
  const step = Math.max(2, Math.round(options.step));
  const gx = Math.max(1, Math.round(width / step));
  const gy = Math.max(1, Math.round(height / step));
  const k = gx * gy;
  const cx = new Float32Array(k);
  const cy = new Float32Array(k);
  const cf = new Float32Array(k * dims);
  for (let j = 0; j < gy; j++) {
    for (let i = 0; i < gx; i++) {
      const c = j * gx + i;
      const x = Math.min(width - 1, Math.floor(((i + 0.5) * width) / gx));
      const y = Math.min(height - 1, Math.floor(((j + 0.5) * height) / gy));
      cx[c] = x;
      cy[c] = y;
      for (let d = 0; d < dims; d++) cf[c * dims + d] = feat[(y * width + x) * dims + d];
    }
  }
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float32Array(n);
  const spatial = (options.compactness / step) ** 2;
  const sums = new Float64Array(k * (dims + 3));
  const stride = dims + 3;
  for (let it = 0; it < options.iterations; it++) {
    dist.fill(Number.POSITIVE_INFINITY);
    for (let c = 0; c < k; c++) {
      const ccx = cx[c];
      const ccy = cy[c];
      const co = c * dims;
      const x0 = Math.max(0, Math.floor(ccx - step));
      const x1 = Math.min(width - 1, Math.ceil(ccx + step));
      const y0 = Math.max(0, Math.floor(ccy - step));
      const y1 = Math.min(height - 1, Math.ceil(ccy + step));
      if (dims === 4) {
        // The encoder's case (Lab + sharpness), unrolled with the centre hoisted: same sums, in the
        // same order, as the general loop below; this loop is a sixth of an encode.
        const c0 = cf[co];
        const c1 = cf[co + 1];
        const c2 = cf[co + 2];
        const c3 = cf[co + 3];
        for (let y = y0; y <= y1; y++) {
          const dy = y - ccy;
          for (let x = x0; x <= x1; x++) {
            const p = y * width + x;
            const dx = x - ccx;
            let d = (dx * dx + dy * dy) * spatial;
            const po = p * 4;
            const e0 = feat[po] - c0;
            d += e0 * e0;
            const e1 = feat[po + 1] - c1;
            d += e1 * e1;
            const e2 = feat[po + 2] - c2;
            d += e2 * e2;
            const e3 = feat[po + 3] - c3;
            d += e3 * e3;
            if (d < dist[p]) {
              dist[p] = d;
              labels[p] = c;
            }
          }
        }
        continue;
      }
      for (let y = y0; y <= y1; y++) {
        const dy = y - ccy;
        for (let x = x0; x <= x1; x++) {
          const p = y * width + x;
          const dx = x - ccx;
          let d = (dx * dx + dy * dy) * spatial;
          const po = p * dims;
          for (let f = 0; f < dims; f++) {
            const diff = feat[po + f] - cf[co + f];
            d += diff * diff;
          }
          if (d < dist[p]) {
            dist[p] = d;
            labels[p] = c;
          }
        }
      }
    }
    sums.fill(0);
    for (let p = 0; p < n; p++) {
      const c = labels[p];
      if (c < 0) continue;
      const o = c * stride;
      sums[o] += 1;
      sums[o + 1] += p % width;
      sums[o + 2] += Math.floor(p / width);
      for (let f = 0; f < dims; f++) sums[o + 3 + f] += feat[p * dims + f];
    }
    for (let c = 0; c < k; c++) {
      const o = c * stride;
      const m = sums[o];
      if (m === 0) continue;
      cx[c] = sums[o + 1] / m;
      cy[c] = sums[o + 2] / m;
      for (let f = 0; f < dims; f++) cf[c * dims + f] = sums[o + 3 + f] / m;
    }
  }
  return enforceConnectivity(labels, width, height, Math.max(1, Math.floor((step * step) / 4)));
}

/**
 * Relabel 4-connected components; a component smaller than `minSize` joins the component met just
 * before it in scan order (as in the reference SLIC), so every id is one connected region.
 */
function enforceConnectivity(
  labels: Int32Array,
  width: number,
  height: number,
  minSize: number,
): Superpixels {
  const n = width * height;
  const out = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let next = 0;
  for (let start = 0; start < n; start++) {
    if (out[start] >= 0) continue;
    const original = labels[start];
    let adjacent = -1;
    const sx = start % width;
    const sy = (start - sx) / width;
    if (sx > 0 && out[start - 1] >= 0) adjacent = out[start - 1];
    else if (sy > 0 && out[start - width] >= 0) adjacent = out[start - width];
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    out[start] = next;
    while (head < tail) {
      const p = queue[head++];
      const x = p % width;
      const y = (p - x) / width;
      if (x > 0) tail = visit(p - 1, original, next, labels, out, queue, tail);
      if (x < width - 1) tail = visit(p + 1, original, next, labels, out, queue, tail);
      if (y > 0) tail = visit(p - width, original, next, labels, out, queue, tail);
      if (y < height - 1) tail = visit(p + width, original, next, labels, out, queue, tail);
    }
    if (tail < minSize && adjacent >= 0) {
      for (let q = 0; q < tail; q++) out[queue[q]] = adjacent;
    } else {
      next++;
    }
  }
  return { width, height, labels: out, count: next };
}

function visit(
  q: number,
  original: number,
  id: number,
  labels: Int32Array,
  out: Int32Array,
  queue: Int32Array,
  tail: number,
): number {
  if (out[q] < 0 && labels[q] === original) {
    out[q] = id;
    queue[tail] = q;
    return tail + 1;
  }
  return tail;
}
