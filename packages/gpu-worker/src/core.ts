/**
 * The heavy parts of @alignsam/core the worker uses (codecs, metrics, the classic segmenter, the
 * pipeline and the policy store), in one place. They are imported by relative path because the
 * core package has no full entry (`@alignsam/core` -> src/index.ts) yet; when it does, only this
 * file changes.
 */
export { higherIsBetter } from "../../core/src/evaluation/report.ts";
export { decodeImage } from "../../core/src/image/decode.ts";
export { encodeRgbPng } from "../../core/src/image/encode.ts";
export type { RgbImage } from "../../core/src/image/types.ts";
export { decodeBinaryMaskPng, encodeMaskPng, encodeProbabilityPng } from "../../core/src/mask/png.ts";
export { encodeRle } from "../../core/src/mask/rle.ts";
export type { BinaryMask, LabelMap, ProbabilityMask } from "../../core/src/mask/types.ts";
export { evaluateImage } from "../../core/src/metrics/evaluate.ts";
export { createClassicSegmenter } from "../../core/src/models/classic/segmenter.ts";
export type { PromptableSegmenter } from "../../core/src/models/ports.ts";
export { segmentImage, trainPolicy } from "../../core/src/pipeline/index.ts";
export { loadPolicy, type Policy, savePolicy } from "../../core/src/policy/index.ts";
