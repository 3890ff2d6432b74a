/**
 * The policy card (card.json): everything needed to know what a stored policy is, where it may run
 * and how it was made. Validated on load; `formatVersion` gates future changes.
 */
import { z } from "zod";
import { GridSpecSchema } from "../agent/grid.ts";
import { BranchSchema, TaskDefinitionSchema } from "../tasks/registry.ts";

export const POLICY_FORMAT_VERSION = 1;

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
  /**
   * What the actor-critic sees: the paper's state s_t ("state", also what cards written before this
   * field meant), or s_t plus the SRM's map y_r of s_t as one more channel ("state+srm").
   */
  agentInput: z.enum(["state", "state+srm"]).optional(),
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
  srmUpdates: z.number().int().nonnegative(),
  normalizeAdvantages: z.boolean(),
  episodesPerUpdate: z.number().int().positive(),
  srmSchedule: z.enum(["action", "episode"]),
  useMaskInput: z.boolean(),
  /** Absent in cards written before the option existed: the paper's reward. */
  reward: z.enum(["paper", "iou-gain"]).optional(),
});
export type Hyperparameters = z.infer<typeof HyperparametersSchema>;

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
  }),
  /** Filled in by the evaluator on the test split. */
  metrics: PolicyMetricsSchema.optional(),
  createdAt: z.iso.datetime(),
});
export type PolicyCard = z.infer<typeof PolicyCardSchema>;
