/**
 * The worker's view of the algorithm: the five things its handlers need, and nothing about how they
 * are done. One implementation (./core-engine.ts) calls the core pipeline; handlers and tests code
 * against this interface only.
 */
import type { RgbImage } from "@alignsam/core/image";
import type { TaskDefinition, TrainJobOptions, TrajectoryClick } from "@alignsam/core/light";
import type { BinaryMask, LabelMap, ProbabilityMask } from "@alignsam/core/mask";

/** A stored policy version: its files as written under `tenants/<t>/policies/<task>/<version>/`. */
export interface StoredPolicy {
  /** Owner of the version (`public` when absent). */
  readonly tenant?: string;
  readonly task: string;
  readonly version: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface SegmentRequest {
  readonly task: TaskDefinition;
  readonly image: RgbImage;
  /** The policy to follow; null when the task has none stored yet. */
  readonly policy: StoredPolicy | null;
  readonly className?: string;
  readonly steps?: number;
  readonly greedy: boolean;
  readonly seed: number;
  /** Keep the mask after each step and the SRM map (for the "steps" output). */
  readonly keepSteps?: boolean;
}

/** What a viewer needs to replay a segmentation step by step (present when keepSteps was asked). */
export interface SegmentSteps {
  /** Side of the segmenter's square low-res frame the logits are in. */
  readonly lowResSize: number;
  /** Low-res logits of the answer after the initial prompts (index 0) and after each click t. */
  readonly logits: readonly Float32Array[];
  /** The last SRM map y_r over the image content, in [0, 1]; 0 x 0 when the path has no SRM. */
  readonly srmMap: { readonly width: number; readonly height: number; readonly data: Float32Array };
  /** The SRM map (same size as srmMap) that labelled each step's clicks, index as logits; absent without the SRM. */
  readonly srmMaps?: readonly Float32Array[];
}

export interface SegmentOutcome {
  readonly mask: BinaryMask;
  readonly probability: ProbabilityMask;
  /** The prompts, as trajectory.json holds them (in the working image's pixels until scaled back). */
  readonly trajectory: readonly TrajectoryClick[];
  /** Segmenter model id (backend + model + version). */
  readonly modelId: string;
  /** Policy version followed, or null on a policy-free path. */
  readonly policyVersion: string | null;
  /** How the clicks were chosen (e.g. "ppo-policy", "centre-click-no-policy"). */
  readonly method: string;
  /** Per-step masks and the SRM map, when the request set keepSteps. */
  readonly steps?: SegmentSteps;
}

export interface LabelledImage {
  readonly id: string;
  readonly image: RgbImage;
  readonly mask: LabelMap;
}

export interface PolicyScoreResult {
  readonly metric: string;
  readonly value: number;
  readonly higherIsBetter: boolean;
  readonly perImage: ReadonlyArray<Readonly<Record<string, number>>>;
}

export interface TrainRequest {
  readonly task: TaskDefinition;
  readonly samples: readonly LabelledImage[];
  readonly options: TrainJobOptions;
  /**
   * The task's current policy, whose segmenter (encoder) and prior the retraining keeps; absent or
   * null: the deployment's bundled policy for the task, else the defaults.
   */
  readonly basis?: StoredPolicy | null;
  /** Called as training advances (e.g. once per episode). */
  readonly onProgress?: (done: number, total: number) => void | Promise<void>;
  /** Called on every phase step: encoding, each SRM epoch (its loss), each PPO episode (its reward). */
  readonly onDetail?: (detail: TrainDetail) => void;
}

/** A training run's live detail, for its job status. */
export type TrainDetail =
  | { readonly phase: "encode"; readonly done: number; readonly total: number }
  | { readonly phase: "srm"; readonly loss: number }
  | {
      readonly phase: "ppo";
      readonly episode: number;
      readonly episodes: number;
      readonly meanReward: number;
      readonly elapsedMs: number;
    };

export interface TrainedPolicy {
  /** Files to store under `policies/<task>/<version>/` (loadable back by segment/evaluate). */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Small facts about the run (episodes, final losses) for the decision record. */
  readonly info: Readonly<Record<string, unknown>>;
}

export interface Engine {
  /** For logs and metrics.json (e.g. "core-pipeline/classic-v1"). */
  readonly name: string;
  /** Segment one image with a task's policy. */
  segment(request: SegmentRequest): Promise<SegmentOutcome>;
  /** Per-image metrics of an outcome against ground truth, named as in the task registry. */
  scoreImage(
    task: TaskDefinition,
    outcome: SegmentOutcome,
    groundTruth: LabelMap,
  ): Readonly<Record<string, number>>;
  /** Train a new policy from labelled samples. */
  train(request: TrainRequest): Promise<TrainedPolicy>;
  /** Score a policy (null: the bundled one) on a held-out split with the task's headline metric. */
  evaluatePolicy(
    task: TaskDefinition,
    policy: StoredPolicy | null,
    samples: readonly LabelledImage[],
  ): Promise<PolicyScoreResult>;
}
