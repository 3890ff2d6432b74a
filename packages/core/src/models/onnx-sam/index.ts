export { type MultimaskMode, selectCandidates } from "./candidates.ts";
export * from "./letterbox.ts";
export { createOnnxSamSegmenter, type OnnxSamOptions, type OnnxSamSegmenter } from "./segmenter.ts";
export type { OnnxSamState } from "./state.ts";
