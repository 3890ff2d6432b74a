/**
 * Training settings, stated once: the paper's (Sec. 4.1) and this project's defaults. The CLI, the
 * worker's train handler, the cards and the docs read these; every difference from the paper is
 * listed with its measurement in docs/DEVIATIONS.md.
 */

/**
 * T a caller may ask for, the one bound every entry checks (the API's segment request, job
 * messages, `--steps`, segmentImage): at least one click, at most 64, which caps a job's cost at
 * 64 decodes. segmentImage also runs T = 0 (the initial prompts alone) for evaluation's "SRM map
 * alone" baseline, and never more clicks than the policy's grid has cells (each click takes a new one).
 */
export const STEPS_RANGE = { min: 1, max: 64 } as const;

/** The paper's settings (AlignSAM, CVPR 2024, Sec. 4.1). */
export const PAPER_DEFAULTS = {
  /** T: clicks per image. */
  steps: 15,
  /** E: passes over the training images. */
  epochs: 50,
  /** K: PPO epochs per update. */
  ppoEpochs: 20,
  /** Adam learning rate of the agent. */
  lr: 1e-4,
  gamma: 0.99,
  clip: 0.2,
  entropy: 0.01,
  /** PPO update after every episode. */
  episodesPerUpdate: 1,
  reward: "paper" as const,
} as const;

/** What `alignsam train`, the worker and `eval:all` use unless told otherwise. */
export const TRAINING_DEFAULTS = {
  ...PAPER_DEFAULTS,
  /** 10 passes: the learning curves in docs/EVALUATION.md flatten well before (DEVIATIONS.md). */
  epochs: 10,
  /** Batching 5 episodes per update keeps E, T, K and costs a fifth of the update overhead. */
  episodesPerUpdate: 5,
  normalizeAdvantages: true,
  useMaskInput: false,
  /** The SRM map is the decoder's dense mask prompt (DEVIATIONS.md). */
  srmPrompt: true,
  /** Pays what a click did to the scored mask (DEVIATIONS.md). */
  reward: "iou-gain" as const,
  agentInput: "state+srm" as const,
  actorInit: "rule" as const,
  /** Agent trunk width. */
  hidden: 16,
  /** Dense SRM: width, cross-fitting folds (= ensemble members), supervised fit. */
  srmHidden: 24,
  srmMembers: 5,
  srmAugment: 3,
  srmMaxEpochs: 30,
  srmPatience: 6,
  srmBatch: 8,
  srmLr: 2e-3,
} as const;

export type TrainingDefaults = typeof TRAINING_DEFAULTS;
