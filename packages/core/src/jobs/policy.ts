/**
 * Documents of the policy store: `policies/<task>/current.json` points at the version that serves
 * a task, and each retraining job writes its promotion decision (results/training.json) so a human
 * can see both scores and why the candidate was or was not promoted.
 */
import { z } from "zod";
import { TaskNameSchema } from "../tasks/registry.ts";
import { KeySegmentSchema } from "./keys.ts";
import { PromotionDifferenceSchema } from "./promotion-guard.ts";

/** How a version scored, and on what, so two scores are only compared on the same held-out split. */
export const PolicyScoreSchema = z.object({
  metric: z.string().min(1),
  value: z.number(),
  /** Higher is better (mIoU, F) or lower is better (MAE, BER). */
  higherIsBetter: z.boolean(),
  /** Fingerprint of the held-out split (sha256 of its sorted image ids and the dataset). */
  splitId: z.string().min(1),
  images: z.int().min(0),
});
export type PolicyScore = z.infer<typeof PolicyScoreSchema>;

export const CurrentPolicyPointerSchema = z.object({
  v: z.literal(1),
  task: TaskNameSchema,
  version: KeySegmentSchema,
  score: PolicyScoreSchema.optional(),
  promotedAt: z.iso.datetime(),
  /** The train job that promoted it, when one did. */
  jobId: KeySegmentSchema.optional(),
});
export type CurrentPolicyPointer = z.infer<typeof CurrentPolicyPointerSchema>;

export const PromotionDecisionSchema = z.object({
  v: z.literal(1),
  task: TaskNameSchema,
  jobId: KeySegmentSchema,
  candidateVersion: KeySegmentSchema,
  /** The tenant's version current when the candidate was judged; null when it had none (see previousSource). */
  previousVersion: KeySegmentSchema.nullable(),
  candidateScore: PolicyScoreSchema,
  /** The previous version's score on the same held-out split; null when there was none. */
  previousScore: PolicyScoreSchema.nullable(),
  promoted: z.boolean(),
  reason: z.string(),
  trainImages: z.int().min(0),
  heldOutImages: z.int().min(0),
  decidedAt: z.iso.datetime(),
  /** The tenant whose policy it may replace (absent in decisions written before policies were per tenant). */
  tenant: KeySegmentSchema.optional(),
  datasetId: KeySegmentSchema.optional(),
  /** What the candidate was judged against: the tenant's version, the bundled policy, or nothing. */
  previousSource: z.enum(["tenant", "bundled", "none"]).optional(),
  /** Whether the guard allowed promotion (`promoted` is false when promotion was left to the caller). */
  promotable: z.boolean().optional(),
  /** Candidate minus previous on the same held-out images, with its standard error. */
  pairedDifference: PromotionDifferenceSchema.nullable().optional(),
  /** The guard's minimums this decision was taken under. */
  guard: z
    .object({ minHeldOutImages: z.int(), minTrainImages: z.int(), minEpisodes: z.int(), minSteps: z.int() })
    .optional(),
  /** Baselines the candidate's card records (SRM map alone out-of-fold IoU, random clicks, final reward). */
  baselines: z.record(z.string(), z.number().nullable()).optional(),
  /** API key id that started the run (absent for webhooks and the anonymous tenant). */
  keyId: z.string().max(64).optional(),
  /** Wall time of the training itself, in seconds (what usage bills as training minutes). */
  trainingSeconds: z.number().min(0).optional(),
});
export type PromotionDecision = z.infer<typeof PromotionDecisionSchema>;

/** "Not worse" rule of the retraining flow: ties promote (a fresher policy on equal evidence). */
export function isNotWorse(candidate: PolicyScore, current: PolicyScore | null): boolean {
  if (current === null) return true;
  return candidate.higherIsBetter ? candidate.value >= current.value : candidate.value <= current.value;
}
