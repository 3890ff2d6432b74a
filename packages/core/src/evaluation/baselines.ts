/**
 * The training-free rules of BASELINES.md. On these datasets some trivial rules score higher than the
 * paper's AlignSAM, so every reported number sits beside them. Each is a pure function of the image.
 */
import type { RgbImage } from "../image/types.ts";
import {
  type BinaryMask,
  createBinaryMask,
  createProbabilityMask,
  type ProbabilityMask,
} from "../mask/types.ts";
import { gaussianBlur, laplacian, otsuThreshold, toGrey } from "./filters.ts";

/** Mark the pixels strictly below Otsu's threshold of `values`. */
function belowOtsu(width: number, height: number, values: Float32Array): BinaryMask {
  const t = otsuThreshold(values);
  const mask = createBinaryMask(width, height);
  for (let i = 0; i < values.length; i++) mask.data[i] = values[i] < t ? 1 : 0;
  return mask;
}

/**
 * Blur rule: defocused regions have little high-frequency energy, so |Laplacian| of the grey level,
 * smoothed over a neighbourhood (Gaussian, sigma 8 px), is low there; blurred = below its Otsu threshold.
 */
export function blurRule(image: RgbImage, sigma = 8): BinaryMask {
  const lap = laplacian(toGrey(image));
  for (let i = 0; i < lap.data.length; i++) lap.data[i] = Math.abs(lap.data[i]);
  const energy = gaussianBlur(lap, sigma);
  return belowOtsu(image.width, image.height, energy.data);
}

/** Shadow rule: shadows are darker than their surroundings; grey level smoothed (sigma 2 px), below Otsu. */
export function shadowRule(image: RgbImage, sigma = 2): BinaryMask {
  const grey = gaussianBlur(toGrey(image), sigma);
  return belowOtsu(image.width, image.height, grey.data);
}

/** Everything is foreground: the floor for tasks whose target covers most of the image (glass, VOC). */
export function everythingRule(image: RgbImage): BinaryMask {
  return createBinaryMask(image.width, image.height, new Uint8Array(image.width * image.height).fill(1));
}

/**
 * Centre box: the middle half of each side (x in [w/4, 3w/4), y in [h/4, 3h/4)), the photographer's
 * centre bias that salient-object datasets reward.
 */
export function centreBoxRule(image: RgbImage): BinaryMask {
  const { width, height } = image;
  const mask = createBinaryMask(width, height);
  const x0 = Math.round(width / 4);
  const x1 = Math.round((3 * width) / 4);
  const y0 = Math.round(height / 4);
  const y1 = Math.round((3 * height) / 4);
  for (let y = y0; y < y1; y++) mask.data.fill(1, y * width + x0, y * width + x1);
  return mask;
}

/** An all-zero probability map: the MAE floor (MAE then equals the foreground fraction). */
export function allZeroRule(image: RgbImage): ProbabilityMask {
  return createProbabilityMask(image.width, image.height);
}
