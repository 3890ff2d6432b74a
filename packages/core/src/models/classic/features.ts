/**
 * The multi-cue feature stack of the classic backend: colour (Lab, chromaticity), texture
 * (multi-scale gradient energy), defocus (Laplacian energy at several scales, fine-to-coarse ratio),
 * local contrast, relative darkness (shadow) and position. Each plane is standardised per image, so
 * the agent and the graph weights see comparable scales whatever the photo's exposure.
 */
import { lumaBt601 } from "../../image/grey.ts";
import type { RgbImage } from "../../image/types.ts";
import { rgbToLab } from "./color.ts";
import { absLaplacian, gaussianSmooth, gradientMagnitude, type Plane, standardize } from "./filters.ts";
import { resizeArea, workingSize } from "./resample.ts";

/** Channel names in embedding order (the embedding's channel c is FEATURE_NAMES[c]). */
export const FEATURE_NAMES = [
  "lab_l",
  "lab_a",
  "lab_b",
  "chroma_r",
  "chroma_g",
  "chroma_magnitude",
  "gradient_energy_s1",
  "gradient_energy_s2",
  "gradient_energy_s4",
  "laplacian_energy_detail",
  "laplacian_energy_s0",
  "laplacian_energy_s1",
  "laplacian_energy_s2",
  "laplacian_energy_wide",
  "sharpness_ratio",
  "contrast_s3",
  "contrast_s8",
  "darker_than_surround",
  "position_x",
  "position_y",
  "centre_prior",
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

export interface FeatureStack {
  readonly width: number;
  readonly height: number;
  /** One standardised plane per FEATURE_NAMES entry, at the working resolution. */
  readonly planes: readonly Float32Array[];
  /** Raw Lab at the working resolution (unstandardised), for superpixel clustering. */
  readonly lab: { L: Float32Array; a: Float32Array; b: Float32Array };
}

/** Window (working-resolution px) over which local energies are pooled. */
const ENERGY_WINDOW = 4;

/** log(1 + k v): compresses the heavy tail of energies so standardisation is not ruled by a few edges. */
function logEnergy(plane: Plane, k: number): Plane {
  return { width: plane.width, height: plane.height, data: log1pScaled(plane.data, k) };
}

// The per-plane maps here are plain loops, not filters.ts mapPlane(closure) or Float32Array.from(mapFn): with
// a dozen different closures the shared loop went megamorphic, and from(mapFn) iterates generically
// (together a tenth of an encode). Same arithmetic, same results.

function log1pScaled(src: Float32Array, k: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Math.log1p(k * src[i]);
  return out;
}

/**
 * Laplacian energy measured at a "detail" resolution (up to twice the working one) and pooled back
 * down: defocus shows in the highest frequencies, which the working-resolution shrink already blurs.
 */
function detailLaplacianEnergy(image: RgbImage, work: { width: number; height: number }): Float32Array {
  const detail = workingSize(image.width, image.height, 2 * Math.max(work.width, work.height));
  const rgb = resizeArea(image.data, image.width, image.height, 3, detail.width, detail.height);
  const grey: Plane = {
    width: detail.width,
    height: detail.height,
    data: lumaBt601(rgb, detail.width * detail.height),
  };
  const energy = gaussianSmooth(absLaplacian(grey), (2 * ENERGY_WINDOW * detail.width) / work.width);
  return resizeArea(energy.data, detail.width, detail.height, 1, work.width, work.height);
}

/** Compute the feature stack of an image at a working resolution whose long side is `longSide`. */
export function computeFeatures(image: RgbImage, longSide: number): FeatureStack {
  const work = workingSize(image.width, image.height, longSide);
  const { width, height } = work;
  const n = width * height;
  const rgb = resizeArea(image.data, image.width, image.height, 3, width, height);
  const lab = rgbToLab(rgb, n);
  const L: Plane = { width, height, data: lab.L };

  const chromaR = new Float32Array(n);
  const chromaG = new Float32Array(n);
  const chromaMag = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const s = rgb[j] + rgb[j + 1] + rgb[j + 2] + 30;
    chromaR[i] = (rgb[j] + 10) / s;
    chromaG[i] = (rgb[j + 1] + 10) / s;
    chromaMag[i] = Math.hypot(lab.a[i], lab.b[i]);
  }

  const smoothed = [1, 2, 4].map((s) => gaussianSmooth(L, s));
  const gradEnergy = smoothed.map((p) => gaussianSmooth(gradientMagnitude(p), ENERGY_WINDOW));
  const lapBase = [L, smoothed[0], smoothed[1]];
  const lapEnergy = lapBase.map((p) => gaussianSmooth(absLaplacian(p), ENERGY_WINDOW));
  const lapWide = gaussianSmooth(absLaplacian(L), 2 * ENERGY_WINDOW);
  const detailEnergy = detailLaplacianEnergy(image, work);

  const sharpRatio = new Float32Array(n);
  const lap0 = lapEnergy[0].data;
  const grad2 = gradEnergy[2].data;
  for (let i = 0; i < n; i++) sharpRatio[i] = Math.log((lap0[i] + 0.5) / (grad2[i] + 0.5));

  const lSquared: Plane = { width, height, data: new Float32Array(n) };
  for (let i = 0; i < n; i++) lSquared.data[i] = lab.L[i] * lab.L[i];
  const contrast = [3, 8].map((s) => {
    const mean = gaussianSmooth(L, s).data;
    const sq = gaussianSmooth(lSquared, s).data;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.sqrt(Math.max(0, sq[i] - mean[i] * mean[i]));
    return out;
  });
  const surround = gaussianSmooth(L, 16).data;
  const mid = smoothed[1].data;
  const darker = new Float32Array(n);
  for (let i = 0; i < n; i++) darker[i] = surround[i] - mid[i];

  const posX = new Float32Array(n);
  const posY = new Float32Array(n);
  const centre = new Float32Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const u = (x + 0.5) / width - 0.5;
      const v = (y + 0.5) / height - 0.5;
      posX[i] = u;
      posY[i] = v;
      centre[i] = Math.exp(-(u * u + v * v) / (2 * 0.25 * 0.25));
    }
  }

  const planes: Float32Array[] = [
    Float32Array.from(lab.L),
    Float32Array.from(lab.a),
    Float32Array.from(lab.b),
    chromaR,
    chromaG,
    chromaMag,
    ...gradEnergy.map((p) => logEnergy(p, 1).data),
    log1pScaled(detailEnergy, 1),
    ...lapEnergy.map((p) => logEnergy(p, 1).data),
    logEnergy(lapWide, 1).data,
    sharpRatio,
    contrast[0],
    contrast[1],
    darker,
    posX,
    posY,
    centre,
  ];
  for (const p of planes) standardize(p);
  return { width, height, planes, lab };
}
