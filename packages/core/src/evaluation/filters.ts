/**
 * The few image filters the training-free baselines need (BASELINES.md): grey level, a separable
 * Gaussian, a 4-neighbour Laplacian and Otsu's threshold. Hand-written because they are a handful of
 * lines each over plain Float32Arrays, and pulling an image library's float pipeline in for them
 * would cost more than it saves.
 */
import { lumaBt601 } from "../image/grey.ts";
import type { RgbImage } from "../image/types.ts";

/** A single-channel float image, row-major. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * ITU-R BT.601 luma in [0, 255], the grey level the baselines threshold: the same weights sharp and
 * OpenCV use, so the published baseline numbers are reproducible.
 */
export function toGrey(image: RgbImage): GreyImage {
  const { width, height, data } = image;
  return { width, height, data: lumaBt601(data, width * height) };
}

/** A normalised 1-D Gaussian kernel of radius ceil(3 sigma) (99.7% of the mass). */
export function gaussianKernel(sigma: number): Float32Array {
  if (!(sigma > 0)) throw new RangeError(`Gaussian sigma must be > 0, got ${sigma}`);
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return kernel;
}

/** Mirror an out-of-range index back into [0, n) (reflect-101, OpenCV's default border). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  let k = i;
  while (k < 0 || k >= n) k = k < 0 ? -k : 2 * n - 2 - k;
  return k;
}

// Not classic/filters.ts's gaussianSmooth (box passes, clamped borders): the baselines want OpenCV's.
/**
 * Separable Gaussian smoothing with mirrored borders, so edges are not darkened (a zero border would
 * pull every border pixel below the Otsu threshold and bias the rules).
 */
export function gaussianBlur(image: GreyImage, sigma: number): GreyImage {
  const { width, height, data } = image;
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  const rowIdx = new Int32Array(width + 2 * radius);
  for (let x = -radius; x < width + radius; x++) rowIdx[x + radius] = reflect(x, width);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) acc += kernel[k] * data[base + rowIdx[x + k]];
      tmp[base + x] = acc;
    }
  }
  const colIdx = new Int32Array(height + 2 * radius);
  for (let y = -radius; y < height + radius; y++) colIdx[y + radius] = reflect(y, height) * width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) acc += kernel[k] * tmp[colIdx[y + k] + x];
      out[y * width + x] = acc;
    }
  }
  return { width, height, data: out };
}

// Same as classic/filters.ts's absLaplacian inside, but signed and with OpenCV's mirrored borders.
/** The 4-neighbour Laplacian (up + down + left + right - 4 centre) with mirrored borders. */
export function laplacian(image: GreyImage): GreyImage {
  const { width, height, data } = image;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const up = reflect(y - 1, height) * width;
    const down = reflect(y + 1, height) * width;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const left = reflect(x - 1, width);
      const right = reflect(x + 1, width);
      out[row + x] = data[up + x] + data[down + x] + data[row + left] + data[row + right] - 4 * data[row + x];
    }
  }
  return { width, height, data: out };
}

/**
 * Otsu's threshold: the value that maximises the between-class variance of a 256-bin histogram
 * spanning [min, max] of the values. Returns a value in the data's own units; pixels strictly below it
 * form the low class. A constant input returns that constant (nothing is below it).
 */
export function otsuThreshold(values: ArrayLike<number>, bins = 256): number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return min;
  const scale = bins / (max - min);
  const hist = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    hist[Math.min(bins - 1, Math.floor((values[i] - min) * scale))]++;
  }
  const total = values.length;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * hist[b];
  let weightLow = 0;
  let sumLow = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    weightLow += hist[b];
    sumLow += b * hist[b];
    const weightHigh = total - weightLow;
    if (weightLow === 0 || weightHigh === 0) continue;
    const meanLow = sumLow / weightLow;
    const meanHigh = (sumAll - sumLow) / weightHigh;
    const between = weightLow * weightHigh * (meanLow - meanHigh) ** 2;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  // Bins 0..bestBin form the low class: the threshold is the upper edge of bin bestBin.
  return min + (bestBin + 1) / scale;
}
