/**
 * Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher, 2012), two 1-D lower
 * envelope passes. Used by the click protocol to find the interior point of an error region.
 */

const INF = 1e20;

function transform1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) ** 2 + f[v[k]];
  }
}

/**
 * Squared distance from each pixel inside `region` (value 1) to the nearest pixel outside it, with
 * the image surround counted as outside (so a region touching the border has its interior away
 * from the border, as in the RITM protocol's zero padding). Pixels outside the region get 0.
 */
export function squaredDistanceInside(region: Uint8Array, width: number, height: number): Float64Array {
  // Pad by one pixel of "outside" on every side.
  const pw = width + 2;
  const ph = height + 2;
  const grid = new Float64Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const inside = x > 0 && y > 0 && x <= width && y <= height && region[(y - 1) * width + (x - 1)] === 1;
      grid[y * pw + x] = inside ? INF : 0;
    }
  }
  const n = Math.max(pw, ph);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < pw; x++) {
    for (let y = 0; y < ph; y++) f[y] = grid[y * pw + x];
    transform1d(f, ph, d, v, z);
    for (let y = 0; y < ph; y++) grid[y * pw + x] = d[y];
  }
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) f[x] = grid[y * pw + x];
    transform1d(f, pw, d, v, z);
    for (let x = 0; x < pw; x++) grid[y * pw + x] = d[x];
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = grid[(y + 1) * pw + x + 1];
  }
  return out;
}
