/**
 * How much each feature counts when comparing two superpixels: for random-walker edges (what may
 * separate neighbours) and for the click-similarity prior (what makes a distant region look like a
 * clicked one). Position counts only in the prior: neighbours are adjacent by construction.
 */
import { FEATURE_NAMES, type FeatureName } from "./features.ts";

const EDGE: Partial<Record<FeatureName, number>> = {
  lab_l: 1,
  lab_a: 1,
  lab_b: 1,
  chroma_r: 0.5,
  chroma_g: 0.5,
  chroma_magnitude: 0.25,
  gradient_energy_s1: 0.3,
  gradient_energy_s2: 0.3,
  gradient_energy_s4: 0.3,
  laplacian_energy_detail: 0.5,
  laplacian_energy_s0: 0.3,
  laplacian_energy_s1: 0.3,
  laplacian_energy_s2: 0.3,
  laplacian_energy_wide: 0.3,
  sharpness_ratio: 0.3,
  contrast_s3: 0.2,
  contrast_s8: 0.2,
  darker_than_surround: 0.3,
};

const PRIOR: Partial<Record<FeatureName, number>> = {
  ...EDGE,
  position_x: 0.5,
  position_y: 0.5,
};

function toVector(table: Partial<Record<FeatureName, number>>): Float32Array {
  return Float32Array.from(FEATURE_NAMES, (name) => table[name] ?? 0);
}

export const EDGE_FEATURE_WEIGHTS = toVector(EDGE);
export const PRIOR_FEATURE_WEIGHTS = toVector(PRIOR);
