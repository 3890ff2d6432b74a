export { type ClipFrame, clipPreprocess, resampleToGrid } from "./preprocess.ts";
export { type ClipSurgeryOptions, type ClipSurgeryPrior, createClipSurgeryPrior } from "./prior.ts";
export { ensemble, featureSurgery, normaliseRows, patchMap } from "./surgery.ts";
export { applyTemplates, DEFAULT_TEMPLATES } from "./templates.ts";
export { encodeTexts, loadClipTokenizer, tokenizeBatch } from "./text-encoder.ts";
