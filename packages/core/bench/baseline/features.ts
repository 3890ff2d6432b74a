// Baseline copy of packages/core/src/models/classic/features.ts as of commit 6c2edd3 (before the
// performance work), kept callable so bench/run.ts can time old and new paths in one run and check
// they agree. Not used by the product.
/**
 * The multi-cue feature stack of the classic backend: colour (Lab, chromaticity), texture
 * (multi-scale gradient energy), defocus (Laplacian energy at several scales, fine-to-coarse ratio),
 * local contrast, relative darkness (shadow) and position. Each plane is standardised per image, so
 * the agent and the graph weights see comparable scales whatever the photo's exposure.
 */
import { lumaBt601 } from "../../src/image/grey.ts";
import type { RgbImage } from "../../src/image/types.ts";
import { rgbToLab } from "../../src/models/classic/color.ts";
import { resizeArea, workingSize } from "../../src/models/classic/resample.ts";
import {
  absLaplacian,
  gaussianSmooth,
  gradientMagnitude,
  mapPlane,
  type Plane,
  standardize,
} from "./filters.ts";

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
  return mapPlane(plane, (v) => Math.log1p(k * v));
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

  const sharpRatio = mapPlane(lapEnergy[0], (v, i) => Math.log((v + 0.5) / (gradEnergy[2].data[i] + 0.5)));

  const contrast = [3, 8].map((s) => {
    const mean = gaussianSmooth(L, s);
    const sq = gaussianSmooth(
      mapPlane(L, (v) => v * v),
      s,
    );
    return mapPlane(mean, (m, i) => Math.sqrt(Math.max(0, sq.data[i] - m * m)));
  });
  const surround = gaussianSmooth(L, 16);
  const darker = mapPlane(surround, (v, i) => v - smoothed[1].data[i]);

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
    Float32Array.from(detailEnergy, (v) => Math.log1p(v)),
    ...lapEnergy.map((p) => logEnergy(p, 1).data),
    logEnergy(lapWide, 1).data,
    sharpRatio.data,
    contrast[0].data,
    contrast[1].data,
    darker.data,
    posX,
    posY,
    centre,
  ];
  for (const p of planes) standardize(p);
  return { width, height, planes, lab };
}
