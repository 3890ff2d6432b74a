/**
 * Synthetic scenes for the classic backend's tests, generated in code (no committed binaries): a
 * seeded PRNG makes them identical on every run.
 */
import type { RgbImage } from "../../image/types.ts";
import type { BinaryMask } from "../../mask/types.ts";

/** Mulberry32: a tiny deterministic PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

export interface Disc {
  readonly cx: number;
  readonly cy: number;
  readonly r: number;
}

/** Bright orange discs on a noisy green-grey texture, with the ground truth of each disc. */
export function discsOnTexture(
  width: number,
  height: number,
  discs: readonly Disc[],
  seed = 1,
): { image: RgbImage; truth: BinaryMask[] } {
  const rand = seededRandom(seed);
  const data = new Uint8Array(width * height * 3);
  const truth = discs.map(() => ({ width, height, data: new Uint8Array(width * height) }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const inside = discs.findIndex((d) => (x - d.cx) ** 2 + (y - d.cy) ** 2 <= d.r * d.r);
      const n = (rand() - 0.5) * 60;
      const rgb = inside >= 0 ? [230 + n / 4, 120 + n / 4, 60 + n / 4] : [90 + n, 110 + n, 90 + n];
      if (inside >= 0) truth[inside].data[i] = 1;
      data.set(rgb.map(clamp), i * 3);
    }
  }
  return { image: { width, height, data }, truth };
}

/**
 * One high-contrast random texture everywhere, box-blurred outside a centred square: colour and
 * mean brightness match, only sharpness tells the square from the rest. Truth = the square.
 */
export function sharpSquareOnBlur(size: number, seed = 2): { image: RgbImage; truth: BinaryMask } {
  const rand = seededRandom(seed);
  const base = new Float32Array(size * size);
  for (let i = 0; i < base.length; i++) base[i] = rand() < 0.5 ? 40 : 215;
  const blurred = new Float32Array(size * size);
  const r = 3;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      let c = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = Math.min(size - 1, Math.max(0, y + dy));
          const xx = Math.min(size - 1, Math.max(0, x + dx));
          s += base[yy * size + xx];
          c++;
        }
      }
      blurred[y * size + x] = s / c;
    }
  }
  const lo = Math.floor(size / 4);
  const hi = Math.ceil((3 * size) / 4);
  const data = new Uint8Array(size * size * 3);
  const truth = { width: size, height: size, data: new Uint8Array(size * size) };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const inside = x >= lo && x < hi && y >= lo && y < hi;
      truth.data[i] = inside ? 1 : 0;
      const v = clamp(inside ? base[i] : blurred[i]);
      data[i * 3] = v;
      data[i * 3 + 1] = v;
      data[i * 3 + 2] = v;
    }
  }
  return { image: { width: size, height: size, data }, truth };
}

/** IoU of two same-size binary masks (1 when both are empty). */
export function maskIou(a: BinaryMask, b: BinaryMask): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const p = a.data[i] === 1;
    const q = b.data[i] === 1;
    if (p && q) inter++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Fraction of `region`'s pixels that `mask` marks. */
export function coverage(mask: BinaryMask, region: BinaryMask): number {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < region.data.length; i++) {
    if (region.data[i] !== 1) continue;
    total++;
    if (mask.data[i] === 1) hit++;
  }
  return total === 0 ? 0 : hit / total;
}
