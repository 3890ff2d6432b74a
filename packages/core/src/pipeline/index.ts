export { PAPER_DEFAULTS, TRAINING_DEFAULTS } from "./defaults.ts";
export {
  ABLATIONS,
  type Ablation,
  type EpisodeResult,
  runEpisode,
  type TrajectoryStep,
} from "./environment.ts";
export { bestCandidate, inferContentRegion, letterboxRegion, probabilityFromLowRes } from "./frame.ts";
export { type PreparedImage, type PriorChoice, prepareImage, requirePrior, resolveTexts } from "./prepare.ts";
export { type SegmentOptions, type SegmentResult, segmentImage } from "./segment.ts";
export {
  type CheckpointHook,
  type PhaseProgress,
  type TrainingSample,
  type TrainOptions,
  type TrainProgress,
  type TrainTimings,
  trainingSetHash,
  trainPolicy,
} from "./train.ts";
