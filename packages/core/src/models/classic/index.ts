/**
 * The weight-free classic backend: a `PromptableSegmenter` built from classical image analysis, the
 * project's embedded default (training runs on it).
 *
 * - encode: 21 standardised feature planes at 64 x 64 (Lab, chromaticity, multi-scale gradient and
 *   Laplacian energy, sharpness ratio, local contrast, relative darkness, position); SLIC
 *   superpixels and their region graph at a working resolution of 320 px (long side).
 * - decode: random walker with priors over the superpixel graph, three candidates (default, local,
 *   global), masks at image size, 256 x 256 logits over the whole (stretched, not letterboxed) image.
 *
 * `createThreadedClassicSegmenter` is the same segmenter with encode on a worker thread (services).
 *
 * Re-exports only.
 */
export { CANDIDATES, type CandidateSpec, candidateProbabilities } from "./decode.ts";
export { computeFeatures, FEATURE_NAMES, type FeatureName, type FeatureStack } from "./features.ts";
export {
  CLASSIC_EMBEDDING_SIZE,
  CLASSIC_ENCODERS,
  CLASSIC_LOW_RES_SIZE,
  CLASSIC_MODEL_ID,
  type ClassicEncoder,
  type ClassicOptions,
  ClassicOptionsSchema,
  resolveClassicOptions,
} from "./options.ts";
export { createClassicSegmenter } from "./segmenter.ts";
export { createThreadedClassicSegmenter, type ThreadedClassicSegmenter } from "./threaded.ts";
