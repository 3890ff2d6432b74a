/**
 * The policy card (card.json): everything needed to know what a stored policy is, where it may run
 * and how it was made. Validated on load; `formatVersion` gates future changes.
 */
import { z } from "zod";
import { GridSpecSchema } from "../agent/grid.ts";
import { BranchSchema, TaskDefinitionSchema } from "../tasks/registry.ts";

/**
 * 2: dense SRM (an ensemble of cross-fitted members over the embedding frame) and a two-channel SRM
 * input to the agent. Version-1 folders (10 x 10 SRM) are refused with the command that retrains them.
 */
export const POLICY_FORMAT_VERSION = 2;

export const SegmenterRefSchema = z.object({
  backend: z.string(),
  modelId: z.string(),
  embeddingShape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  lowResSize: z.number().int(),
});

/** Which vision-language prior fed the explicit branch (or that none did, and why). */
export const PriorRefSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("model"), backend: z.string(), modelId: z.string() }),
  /** Explicit branch trained with M_c = 1 on request (`prior: "none"`): no text prior at all. */
  z.object({ kind: z.literal("none"), note: z.string() }),
  /** Implicit branch: no prior is used by design. */
  z.object({ kind: z.literal("unused") }),
]);
export type PriorRef = z.infer<typeof PriorRefSchema>;

export const ArchitectureSchema = z.object({
  /** Embedding channels C. */
  embeddingChannels: z.number().int().positive(),
  /** State resolution R = gridSide * stateScale. */
  stateSize: z.number().int().positive(),
  stateScale: z.number().int().positive(),
  hidden: z.number().int().positive(),
  srmHidden: z.number().int().positive(),
  /** SRM ensemble members (cross-fitting folds). */
  srmMembers: z.number().int().positive(),
  /** The embedding frame y_r covers (h, w). */
  srmSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  /**
   * What the actor-critic sees: the paper's state s_t ("state"), or s_t plus the SRM's y_r and the
   * dense disagreement |y_r - M|, pooled ("state+srm").
   */
  agentInput: z.enum(["state", "state+srm"]),
  /** How the actor's cue read-out started: at the disagreement rule, or at zero (paper-like). */
  actorInit: z.enum(["rule", "random"]),
});
export type Architecture = z.infer<typeof ArchitectureSchema>;

export const HyperparametersSchema = z.object({
  steps: z.number().int().nonnegative(),
  epochs: z.number().int().positive(),
  ppoEpochs: z.number().int().positive(),
  lr: z.number().positive(),
  srmLr: z.number().positive(),
  gamma: z.number(),
  clip: z.number(),
  entropy: z.number(),
  normalizeAdvantages: z.boolean(),
  episodesPerUpdate: z.number().int().positive(),
  useMaskInput: z.boolean(),
  /** y_r is the decoder's dense mask prompt. */
  srmPrompt: z.boolean(),
  reward: z.enum(["paper", "iou-gain"]),
  /** Supervised SRM fit: augmented copies per image, epoch bound, early-stopping patience, batch. */
  srmAugment: z.number().int().nonnegative(),
  srmMaxEpochs: z.number().int().positive(),
  srmPatience: z.number().int().positive(),
  srmBatch: z.number().int().positive(),
});
export type Hyperparameters = z.infer<typeof HyperparametersSchema>;

const CurvePointSchema = z.object({ update: z.number().int(), episode: z.number().int(), iou: z.number() });

export const PolicyMetricsSchema = z.object({
  split: z.string(),
  count: z.number().int().nonnegative(),
  values: z.record(z.string(), z.number()),
});

export const PolicyCardSchema = z.object({
  formatVersion: z.literal(POLICY_FORMAT_VERSION),
  task: TaskDefinitionSchema,
  branch: BranchSchema,
  segmenter: SegmenterRefSchema,
  prior: PriorRefSchema,
  /** TensorFlow.js backend the policy was trained on (weights run on any). */
  tfBackend: z.string(),
  grid: GridSpecSchema,
  architecture: ArchitectureSchema,
  hyperparameters: HyperparametersSchema,
  trainingSet: z.object({
    count: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  seed: z.number().int(),
  training: z.object({
    durationMs: z.number().nonnegative(),
    episodes: z.number().int().nonnegative(),
    finalMeanReward: z.number(),
    timingsMs: z.record(z.string(), z.number()),
    /**
     * Learning curves on held-out images (mean IoU of the greedy agent against PPO updates): the
     * trained agent's ("rule" start) and, when asked for, a randomly started one; random clicks for scale.
     */
    curves: z
      .object({
        images: z.number().int(),
        every: z.number().int(),
        randomClicks: z.number(),
        rule: z.array(CurvePointSchema).optional(),
        random: z.array(CurvePointSchema).optional(),
      })
      .optional(),
  }),
  /** The supervised SRM fit: per member, the kept epoch and its held-out IoU; the out-of-fold IoU. */
  srmFit: z
    .object({
      outOfFoldIou: z.number(),
      members: z.array(
        z.object({
          bestEpoch: z.number().int(),
          epochsRun: z.number().int(),
          valIou: z.number(),
          trainExamples: z.number().int(),
          valImages: z.number().int(),
        }),
      ),
    })
    .optional(),
  /** Filled in by the evaluator on the test split. */
  metrics: PolicyMetricsSchema.optional(),
  createdAt: z.iso.datetime(),
});
export type PolicyCard = z.infer<typeof PolicyCardSchema>;
