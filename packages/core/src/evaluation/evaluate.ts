/**
 * The evaluation runner: one method over a list of dataset pairs, streaming. Each pair is loaded,
 * predicted, scored with the task's metrics (tasks/registry.ts) and dropped, so memory stays flat
 * however long the test split is; per-image records go to a callback (a JSONL writer) as they come.
 */
import type { DatasetPair } from "../datasets/loader.ts";
import { type LoadedPair, loadPair } from "../datasets/pair.ts";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask, LabelMap, ProbabilityMask } from "../mask/types.ts";
import { MetricAccumulator } from "../metrics/aggregate.ts";
import { datasetMetrics, isClassPrompted } from "../metrics/dataset-metrics.ts";
import { evaluateImage } from "../metrics/evaluate.ts";
import type { MetricStats } from "../metrics/running-stats.ts";
import { defaultTaskRegistry, type MetricName, type TaskDefinition } from "../tasks/registry.ts";

export { isClassPrompted };

/** What a method returns for one image: a binary mask, and the soft map behind it when it has one. */
export interface Prediction {
  readonly mask: BinaryMask;
  /** Used by MAE, mean-F and E-measure; without it they score the binary mask. */
  readonly probability?: ProbabilityMask;
}

/** What a method may know about a test image besides its pixels (never its ground truth). */
export interface SampleInfo {
  readonly id: string;
  /** Class names of the image (coco_mval: the instance's class), for class-prompted tasks. */
  readonly classes?: readonly string[];
  /** The ground truth, handed only to methods that declare `usesGroundTruth` (oracle clicks). */
  readonly truth?: BinaryMask | LabelMap;
}

/** Anything that turns an image into a prediction: a baseline rule, AlignSAM, an ablation. */
export interface EvaluationMethod {
  /** Row label in reports, e.g. "AlignSAM", "centre click". */
  readonly name: string;
  /** One line on what it is, for the report. */
  readonly description?: string;
  predict(image: RgbImage, sample: SampleInfo): Promise<Prediction> | Prediction;
  /** An upper bound that reads the ground truth (oracle clicks); never a method a user can run. */
  readonly usesGroundTruth?: boolean;
}

/** The scores of one image under one method. */
export interface ImageRecord {
  readonly id: string;
  readonly classes?: readonly string[];
  /** Keyed by the task's metric names; IoU, F, E in [0, 1], MAE in [0, 1], BER in percent. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Milliseconds the method spent on this image (loading and scoring excluded). */
  readonly ms: number;
}

/** The dataset-level result of one method on one task. */
export interface EvaluationSummary {
  readonly task: string;
  readonly method: string;
  readonly description?: string;
  readonly images: number;
  /**
   * The headline number per task metric (metrics/dataset-metrics.ts): the mean over images, except
   * mIoU on a class-prompted task (VOC), the semantic-segmentation mIoU (per class intersection and
   * union pooled over its images, then the mean over classes), with the per-image mean beside it as
   * `imageMeanIoU`.
   */
  readonly metrics: Readonly<Record<string, number>>;
  /** Distribution of the per-image values (mean, std, min, max). */
  readonly stats: Readonly<Record<string, MetricStats>>;
  /**
   * Per-class mean of each metric, mIoU the class's pooled IoU when mIoU is class-pooled (empty
   * unless the pairs carry class names).
   */
  readonly perClass: readonly {
    className: string;
    images: number;
    means: Readonly<Record<string, number>>;
    /** The class's IoU, intersection and union pooled over its images. */
    iou?: number;
  }[];
  /** BER of confusion counts pooled over all images (NaN unless the task reports BER). */
  readonly pooledBER: number;
  readonly msPerImage: number;
}

export interface EvaluationResult {
  readonly records: readonly ImageRecord[];
  readonly summary: EvaluationSummary;
}

export interface EvaluateOptions<P extends SampleInfo> {
  /**
   * Loads a pair's image and ground truth.
   * @default the datasets module's loadPair (pairs must then be DatasetPairs: imagePath, maskPath)
   */
  load?: (pair: P) => Promise<LoadedPair<BinaryMask | LabelMap>>;
  /** Called after each image, e.g. to tick a progress bar. */
  onProgress?: (done: number, total: number, record: ImageRecord) => void;
  /** Called with each record as soon as it is scored, e.g. to append it to a JSONL file. */
  onRecord?: (record: ImageRecord) => void | Promise<void>;
  /**
   * Keep every record in the result. Turn off for very long runs that stream records through
   * `onRecord`. @default true
   */
  keepRecords?: boolean;
  /** Override the task's metric list. @default the registry's metrics for the task */
  metrics?: readonly MetricName[];
  /**
   * Report mIoU the semantic-segmentation way (per class pooled, then the mean over classes; the
   * per-image mean beside it as `imageMeanIoU`); false: the mean over images.
   * @default true for class-prompted tasks (a text containing "{class}"), false otherwise
   */
  classMeanIoU?: boolean;
}

/**
 * Runs `method` over `pairs` and scores it with the task's metrics. Images are processed one at a
 * time in the given order, so the result is reproducible and memory holds one image at once.
 * @example
 * const { summary } = await evaluate(centreBox, testPairs, "saliency", { load: loadPair });
 * summary.metrics.MAE; // 0.21
 */
export async function evaluate<P extends SampleInfo>(
  method: EvaluationMethod,
  pairs: readonly P[],
  task: TaskDefinition | string,
  options: EvaluateOptions<P> = {},
): Promise<EvaluationResult> {
  const onProgress = options.onProgress;
  const [result] = await evaluateMany([method], pairs, task, {
    ...options,
    onProgress: onProgress ? (done, total, records) => onProgress(done, total, records[0]) : undefined,
    onRecord: options.onRecord ? (_method, record) => options.onRecord!(record) : undefined,
  });
  return result;
}

export interface EvaluateManyOptions<P extends SampleInfo>
  extends Omit<EvaluateOptions<P>, "onProgress" | "onRecord"> {
  /** Called after each image with that image's record under every method (in `methods` order). */
  onProgress?: (done: number, total: number, records: readonly ImageRecord[]) => void;
  /** Called with each record as soon as it is scored. */
  onRecord?: (method: EvaluationMethod, record: ImageRecord) => void | Promise<void>;
}

/** Running state of one method during {@link evaluateMany}. */
interface MethodRun {
  readonly method: EvaluationMethod;
  readonly accumulator: MetricAccumulator;
  readonly records: ImageRecord[];
  totalMs: number;
}

/**
 * Several methods over the same pairs in one pass: each image is loaded once and handed to every
 * method in turn, so methods that share a caching segmenter ({@link cachingSegmenter}) encode each
 * image once. Results come back in `methods` order, each as {@link evaluate} would return it.
 */
export async function evaluateMany<P extends SampleInfo>(
  methods: readonly EvaluationMethod[],
  pairs: readonly P[],
  task: TaskDefinition | string,
  options: EvaluateManyOptions<P> = {},
): Promise<EvaluationResult[]> {
  const definition = typeof task === "string" ? defaultTaskRegistry.get(task) : task;
  const metrics = options.metrics ?? definition.metrics;
  const keep = options.keepRecords ?? true;
  const classMeanIoU = options.classMeanIoU ?? isClassPrompted(definition);
  const load = options.load ?? loadDatasetPair;
  const runs: MethodRun[] = methods.map((method) => ({
    method,
    accumulator: new MetricAccumulator(),
    records: [],
    totalMs: 0,
  }));
  for (const [index, pair] of pairs.entries()) {
    const { image, mask } = await load(pair);
    const sample: SampleInfo = pair.classes ? { id: pair.id, classes: pair.classes } : { id: pair.id };
    const imageRecords: ImageRecord[] = [];
    for (const run of runs) {
      const started = performance.now();
      const prediction = await run.method.predict(
        image,
        run.method.usesGroundTruth ? { ...sample, truth: mask } : sample,
      );
      const ms = performance.now() - started;
      run.totalMs += ms;
      const result = evaluateImage(prediction.mask, mask, {
        metrics,
        id: pair.id,
        ...(prediction.probability ? { prob: prediction.probability } : {}),
        ...(pair.classes ? { classes: pair.classes } : {}),
      });
      run.accumulator.add(result);
      const record: ImageRecord = {
        id: pair.id,
        ...(pair.classes ? { classes: pair.classes } : {}),
        metrics: result.values,
        ms,
      };
      if (keep) run.records.push(record);
      imageRecords.push(record);
      await options.onRecord?.(run.method, record);
    }
    options.onProgress?.(index + 1, pairs.length, imageRecords);
  }
  return runs.map((run) => ({
    records: run.records,
    summary: summarize(run, definition.name, metrics, classMeanIoU, pairs.length),
  }));
}

/** The default loader: pairs from loadDataset carry their file paths. */
function loadDatasetPair(pair: SampleInfo): Promise<LoadedPair<BinaryMask | LabelMap>> {
  const candidate = pair as Partial<DatasetPair>;
  if (typeof candidate.imagePath !== "string" || typeof candidate.maskPath !== "string") {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `pair "${pair.id}" has no imagePath/maskPath; pass a \`load\` option to evaluate pairs that are not DatasetPairs`,
    );
  }
  return loadPair(candidate as DatasetPair);
}

function summarize(
  run: MethodRun,
  task: string,
  metrics: readonly MetricName[],
  classMeanIoU: boolean,
  count: number,
): EvaluationSummary {
  const aggregate = run.accumulator.summary();
  const dataset = datasetMetrics(aggregate, { metrics, iou: classMeanIoU ? "class-pooled" : "image-mean" });
  return {
    task,
    method: run.method.name,
    ...(run.method.description !== undefined ? { description: run.method.description } : {}),
    images: aggregate.images,
    metrics: dataset.metrics,
    stats: aggregate.metrics,
    perClass: dataset.perClass,
    pooledBER: metrics.includes("BER") ? aggregate.pooledBER : Number.NaN,
    msPerImage: count === 0 ? Number.NaN : run.totalMs / count,
  };
}
