/**
 * The public face of @alignsam/core: everything a library user, the API or the worker needs, from
 * one import. Five names exist twice in the tree; the algorithm's meaning keeps the plain name and
 * the wire contract's (jobs/) or the evaluation's twin gets a prefixed alias:
 *
 * - `LoadedPair` is the datasets loader's; evaluation's is `EvaluationLoadedPair`.
 * - `Split<T>` is the datasets splitter's; jobs' document type is `JobSplit`.
 * - `EvaluationSummary` is the evaluation runner's; jobs' document type is `JobEvaluationSummary`.
 * - `SegmentOptions` / `TrainOptions` are the pipeline's; jobs' message options are
 *   `SegmentJobOptions` / `TrainJobOptions`.
 *
 * Heavy at import time (TensorFlow.js, ONNX Runtime, sharp): code that only validates task names or
 * job messages should import `@alignsam/core/light` instead.
 */

// Name clashes between star exports, resolved explicitly (see the module comment).
export type { LoadedPair, Split } from "./datasets/index.ts";
export * from "./datasets/index.ts";
export * from "./errors.ts";
export type { EvaluationSummary, LoadedPair as EvaluationLoadedPair } from "./evaluation/index.ts";
export * from "./evaluation/index.ts";
export * from "./export/index.ts";
export * from "./image/index.ts";
export type {
  EvaluationSummary as JobEvaluationSummary,
  SegmentOptions as SegmentJobOptions,
  Split as JobSplit,
  TrainOptions as TrainJobOptions,
} from "./jobs/index.ts";
export * from "./jobs/index.ts";
export * from "./mask/index.ts";
export * from "./metrics/index.ts";
export * from "./models/classic/index.ts";
export * from "./models/clip-surgery/index.ts";
export * from "./models/embedding-cache.ts";
export * from "./models/manifest/index.ts";
export * from "./models/onnx-sam/index.ts";
export * from "./models/ports.ts";
export type { SegmentOptions, TrainOptions } from "./pipeline/index.ts";
export * from "./pipeline/index.ts";
export * from "./policy/index.ts";
export * from "./tasks/registry.ts";
export * from "./util/random.ts";
