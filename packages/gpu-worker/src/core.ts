/**
 * The heavy parts of @alignsam/core the worker uses (codecs, metrics, the classic segmenter, the
 * pipeline and the policy store), in one place. They come through the package's subpath entries,
 * not the full `@alignsam/core` entry: that one also loads ONNX Runtime, the CLIP tokenizer and
 * the evaluation suite, which the worker does not use, and would add about a fifth to its start-up.
 */
export { higherIsBetter } from "@alignsam/core/evaluation/report";
export {
  configureImageCodec,
  DEFAULT_MAX_PIXELS,
  DEFAULT_WORKING_LONG_SIDE,
  decodeImage,
  decodeWorkingImage,
  encodeRgbPng,
  type RgbImage,
  resizeGreyPngNearest,
  resizePlaneNearest,
  type WorkingImage,
} from "@alignsam/core/image";
export {
  type BinaryMask,
  decodeBinaryMaskPng,
  encodeMaskPng,
  encodeProbabilityPng,
  encodeRle,
  type LabelMap,
  type ProbabilityMask,
} from "@alignsam/core/mask";
export {
  confusion,
  evaluateImage,
  type ImageResult,
  iouConventionFor,
  summarizeImages,
} from "@alignsam/core/metrics";
export { createClassicSegmenter } from "@alignsam/core/models/classic";
export type { PromptableSegmenter } from "@alignsam/core/models/ports";
export { segmentImage, trainPolicy } from "@alignsam/core/pipeline";
export { loadPolicy, type Policy, savePolicy } from "@alignsam/core/policy";
