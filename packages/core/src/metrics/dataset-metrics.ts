/**
 * The one place that turns per-image results into the dataset numbers a report prints under each
 * metric name. The CLI's `eval` and `npm run eval:all` (through evaluation/evaluate.ts) and the
 * worker's eval-reduce all call it, so "mIoU" is the same number wherever it is printed.
 *
 * "mIoU" of a class-prompted task (VOC: its text is a "{class}" template) is the standard
 * semantic-segmentation mIoU: per class, intersection and union summed over that class's images,
 * their ratio, then the unweighted mean over classes (a class whose union is empty everywhere is
 * left out). The mean over images of the per-image IoU is reported beside it as `imageMeanIoU`
 * ("image mIoU"). Images that carry no class name form one class of their own when no image carries
 * one (a worker evaluation without a class name), and are otherwise left out of "mIoU".
 *
 * "mIoU" of every other task (blur, shadow, glass, saliency, a user's own concept) is the mean over
 * images of the per-image IoU: ALGORITHM.md's "per image then averaged over the test set", the
 * convention BASELINES.md's reference numbers were measured with. Every other metric is the mean
 * over images of its per-image value (MetricAccumulator's `pooledBER` and `datasetMaxF` stay
 * separate fields). The README beside this file compares each convention with its reference.
 */
import type { TaskDefinition } from "../tasks/registry.ts";
import {
  type AggregateSummary,
  type ClassSummary,
  type ImageResult,
  MetricAccumulator,
} from "./aggregate.ts";

/** Key of the per-image mean IoU when "mIoU" is the class-pooled one ("image mIoU" in tables). */
export const IMAGE_MEAN_IOU = "imageMeanIoU";

/** How "mIoU" is formed over a dataset (see the module comment). */
export type IoUConvention = "class-pooled" | "image-mean";

/** Whether a task is prompted per class (its text is a "{class}" template), like VOC. */
export function isClassPrompted(task: Pick<TaskDefinition, "texts">): boolean {
  return task.texts.some((t) => t.includes("{class}"));
}

/** The task's "mIoU" convention: class-pooled for class-prompted tasks, the image mean otherwise. */
export function iouConventionFor(task: Pick<TaskDefinition, "texts">): IoUConvention {
  return isClassPrompted(task) ? "class-pooled" : "image-mean";
}

export interface DatasetMetricsOptions {
  /** Metric names to report (a task's `metrics`). */
  readonly metrics: readonly string[];
  readonly iou: IoUConvention;
}

export interface DatasetMetrics {
  /** One number per requested metric, plus `imageMeanIoU` when "mIoU" is class-pooled. */
  readonly metrics: Record<string, number>;
  /**
   * Per class: the means of the per-image values, with `mIoU` the class's pooled IoU (and
   * `imageMeanIoU` its image mean) under the class-pooled convention, so the column averages to
   * the headline.
   */
  readonly perClass: readonly ClassSummary[];
}

/**
 * Dataset numbers from an accumulated summary.
 * @example
 * datasetMetrics(acc.summary(), { metrics: ["mIoU"], iou: "class-pooled" }).metrics
 * // { mIoU: 0.62, imageMeanIoU: 0.58 }
 */
export function datasetMetrics(aggregate: AggregateSummary, options: DatasetMetricsOptions): DatasetMetrics {
  const metrics: Record<string, number> = {};
  for (const name of options.metrics) metrics[name] = aggregate.metrics[name]?.mean ?? Number.NaN;
  if (options.iou === "image-mean" || !options.metrics.includes("mIoU")) {
    return { metrics, perClass: aggregate.perClass };
  }
  metrics.mIoU = classPooledMeanIoU(aggregate);
  metrics[IMAGE_MEAN_IOU] = aggregate.metrics.mIoU?.mean ?? Number.NaN;
  const perClass = aggregate.perClass.map((c) => ({
    ...c,
    means: { ...c.means, mIoU: c.iou, [IMAGE_MEAN_IOU]: c.means.mIoU ?? Number.NaN },
  }));
  return { metrics, perClass };
}

/**
 * Accumulates per-image results and forms the dataset numbers: what a caller holding all results at
 * once (the worker's reduce) uses instead of a {@link MetricAccumulator} of its own.
 * @example summarizeImages(docs.map(toImageResult), { metrics: task.metrics, iou: iouConventionFor(task) })
 */
export function summarizeImages(
  results: Iterable<ImageResult>,
  options: DatasetMetricsOptions,
): DatasetMetrics & { readonly aggregate: AggregateSummary } {
  const accumulator = new MetricAccumulator();
  for (const r of results) accumulator.add(r);
  const aggregate = accumulator.summary();
  return { ...datasetMetrics(aggregate, options), aggregate };
}

/** Mean over classes of the pooled class IoU; the pooled IoU of all images when none is named. */
function classPooledMeanIoU(aggregate: AggregateSummary): number {
  if (aggregate.perClass.length === 0) return aggregate.pooledIoU;
  const ious = aggregate.perClass.map((c) => c.iou).filter((v) => Number.isFinite(v));
  return ious.length === 0 ? Number.NaN : ious.reduce((a, b) => a + b, 0) / ious.length;
}
