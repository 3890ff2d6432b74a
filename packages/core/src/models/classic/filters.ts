/**
 * Fast float filters for the classic encoder. Every filter here costs O(pixels) whatever the scale
 * (a Gaussian is three running-sum box passes), because encode runs once per image during training
 * and its smoothing scales reach 16 px: a direct 97-tap kernel would dominate the encode time.
 */

/** A single-channel float plane, row-major. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * Box radii whose three successive passes match a Gaussian of this sigma (Kovesi's "boxes for
 * Gauss"): the variance of n boxes of width w is n (w^2 - 1) / 12.
 */
export function boxRadiiForGauss(sigma: number, passes = 3): number[] {
  const ideal = Math.sqrt((12 * sigma * sigma) / passes + 1);
  let wl = Math.floor(ideal);
  if (wl % 2 === 0) wl--;
  const wu = wl + 2;
  const mIdeal = (12 * sigma * sigma - passes * wl * wl - 4 * passes * wl - 3 * passes) / (-4 * wl - 4);
  const m = Math.round(mIdeal);
  const radii: number[] = [];
  for (let i = 0; i < passes; i++) radii.push(((i < m ? wl : wu) - 1) / 2);
  return radii;
}

/** One horizontal box pass with clamped borders (running sum). */
function boxHorizontal(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += src[row + Math.min(width - 1, Math.max(0, k))];
    for (let x = 0; x < width; x++) {
      dst[row + x] = acc * norm;
      const add = Math.min(width - 1, x + r + 1);
      const sub = Math.max(0, x - r);
      acc += src[row + add] - src[row + sub];
    }
  }
}

/**
 * One vertical box pass with clamped borders (running sums), row by row: one running sum per column
 * kept in `acc`, so memory is read in order (a column walk strides a whole row per step). Each
 * column sees the same additions in the same order as a column-at-a-time pass.
 */
function boxVertical(
  src: Float32Array,
  dst: Float32Array,
  width: number,
  height: number,
  r: number,
  acc: Float64Array,
): void {
  const norm = 1 / (2 * r + 1);
  acc.fill(0, 0, width);
  for (let k = -r; k <= r; k++) {
    const row = Math.min(height - 1, Math.max(0, k)) * width;
    for (let x = 0; x < width; x++) acc[x] += src[row + x];
  }
  for (let y = 0; y < height; y++) {
    const out = y * width;
    const add = Math.min(height - 1, y + r + 1) * width;
    const sub = Math.max(0, y - r) * width;
    for (let x = 0; x < width; x++) {
      dst[out + x] = acc[x] * norm;
      acc[x] += src[add + x] - src[sub + x];
    }
  }
}

// Not evaluation/filters.ts's gaussianBlur (exact kernel, reflect-101): O(pixels) at any sigma.
/** Gaussian smoothing approximated by three box passes per axis; returns a new plane. */
export function gaussianSmooth(plane: Plane, sigma: number): Plane {
  const { width, height } = plane;
  const out = Float32Array.from(plane.data);
  if (sigma <= 0) return { width, height, data: out };
  const tmp = new Float32Array(out.length);
  const acc = new Float64Array(width);
  for (const r of boxRadiiForGauss(sigma)) {
    if (r <= 0) continue;
    boxHorizontal(out, tmp, width, height, r);
    boxVertical(tmp, out, width, height, r, acc);
  }
  return { width, height, data: out };
}

/** Central-difference gradient magnitude (clamped borders). */
export function gradientMagnitude(plane: Plane): Plane {
  const { width, height, data } = plane;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) {
      const left = Math.max(0, x - 1);
      const right = Math.min(width - 1, x + 1);
      const gx = data[y * width + right] - data[y * width + left];
      const gy = data[down + x] - data[up + x];
      out[y * width + x] = 0.5 * Math.sqrt(gx * gx + gy * gy);
    }
  }
  return { width, height, data: out };
}

// evaluation/filters.ts's laplacian is signed, with mirrored borders; the two agree inside.
/** Absolute 4-neighbour Laplacian (clamped borders): the classic defocus measure. */
export function absLaplacian(plane: Plane): Plane {
  const { width, height, data } = plane;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) {
      const c = data[y * width + x];
      const l = data[y * width + Math.max(0, x - 1)];
      const r = data[y * width + Math.min(width - 1, x + 1)];
      out[y * width + x] = Math.abs(l + r + data[up + x] + data[down + x] - 4 * c);
    }
  }
  return { width, height, data: out };
}

/** Element-wise map into a new plane. */
export function mapPlane(plane: Plane, f: (v: number, i: number) => number): Plane {
  const out = new Float32Array(plane.data.length);
  const src = plane.data;
  for (let i = 0; i < out.length; i++) out[i] = f(src[i], i);
  return { width: plane.width, height: plane.height, data: out };
}

/** Shift and scale in place to zero mean and unit variance (constant planes become all zero). */
export function standardize(data: Float32Array): void {
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i];
  mean /= data.length || 1;
  let variance = 0;
  for (let i = 0; i < data.length; i++) variance += (data[i] - mean) ** 2;
  variance /= data.length || 1;
  const inv = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0;
  for (let i = 0; i < data.length; i++) data[i] = (data[i] - mean) * inv;
}
