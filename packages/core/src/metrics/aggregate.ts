/**
 * Streaming aggregation of per-image metrics over a dataset. Holds only running sums (never masks),
 * so evaluating thousands of images costs constant memory, and accumulators from shards merge.
 *
 * What the summary means (which of these a report calls "mIoU" is ./dataset-metrics.ts's choice):
 * - `metrics[name]`: mean / std / min / max over images of the per-image value (IoU, mean-F, E,
 *   MAE, per-image BER, per-image max-F);
 * - `perClass[i]`: per class name (an image with several names counts towards each), the mean of
 *   each per-image value and the class's IoU from intersection and union POOLED over its images
 *   (the semantic-segmentation convention; needs `confusion` on each result);
 * - `pooledIoU`: IoU of the counts summed over all images (every image one class);
 * - `datasetMaxF`: the saliency convention for max-F, the max over the 256 thresholds of the mean
 *   F curve (needs `fCurve` on each result);
 * - `pooledBER`: BER of the confusion counts summed over all images (the shadow-detection
 *   convention; needs `confusion` on each result).
 */
import { addConfusion, type Confusion, EMPTY_CONFUSION } from "./confusion.ts";
import { berFromConfusion } from "./error-rates.ts";
import { F_CURVE_LEVELS } from "./fmeasure.ts";
import { pooledIoUFromConfusion } from "./iou.ts";
import { type MetricStats, RunningStats } from "./running-stats.ts";

/** What one image contributes; `values` is keyed by metric name (e.g. the registry's "mIoU", "F"). */
export interface ImageResult {
  readonly id?: string;
  /** Class names of the image (coco_mval: the instance's class), for per-class means. */
  readonly classes?: readonly string[];
  readonly values: Readonly<Record<string, number>>;
  /** F-beta at thresholds t/255, t = 0..255 (from fCurve), for dataset-level max-F. */
  readonly fCurve?: Float64Array;
  /** Confusion counts (TP = intersection, TP + FP + FN = union), for pooled IoU and BER. */
  readonly confusion?: Confusion;
}

export interface ClassSummary {
  readonly className: string;
  readonly images: number;
  /** Mean over the class's images of each per-image value. */
  readonly means: Readonly<Record<string, number>>;
  /** Sum of intersections over sum of unions of the class's images; NaN without counts or when every union is empty. */
  readonly iou: number;
}

/** Running state of one class. */
interface ClassEntry {
  images: number;
  stats: Map<string, RunningStats>;
  pooled: Confusion | undefined;
}

export interface AggregateSummary {
  readonly images: number;
  readonly metrics: Readonly<Record<string, MetricStats>>;
  readonly perClass: readonly ClassSummary[];
  /** IoU of intersections and unions summed over all images; NaN without counts or when every union is empty. */
  readonly pooledIoU: number;
  /** NaN when no result carried an F curve. */
  readonly datasetMaxF: number;
  /** NaN when no result carried confusion counts. */
  readonly pooledBER: number;
}

/**
 * Accumulates per-image results.
 * @example
 * const acc = new MetricAccumulator();
 * for (const r of results) acc.add(r);
 * acc.summary().metrics.mIoU.mean;
 */
export class MetricAccumulator {
  private images = 0;
  private readonly stats = new Map<string, RunningStats>();
  private readonly classes = new Map<string, ClassEntry>();
  private curveSum: Float64Array | undefined;
  private curveCount = 0;
  private pooled: Confusion | undefined;

  add(result: ImageResult): void {
    this.images++;
    for (const [name, value] of Object.entries(result.values)) statsFor(this.stats, name).add(value);
    for (const className of new Set(result.classes ?? [])) {
      const entry = this.classEntry(className);
      entry.images++;
      for (const [name, value] of Object.entries(result.values)) statsFor(entry.stats, name).add(value);
      if (result.confusion) entry.pooled = addConfusion(entry.pooled ?? EMPTY_CONFUSION, result.confusion);
    }
    if (result.fCurve) {
      if (result.fCurve.length !== F_CURVE_LEVELS) {
        throw new RangeError(`an F curve has ${F_CURVE_LEVELS} values, got ${result.fCurve.length}`);
      }
      this.curveSum ??= new Float64Array(F_CURVE_LEVELS);
      for (let t = 0; t < F_CURVE_LEVELS; t++) this.curveSum[t] += result.fCurve[t];
      this.curveCount++;
    }
    if (result.confusion) this.pooled = addConfusion(this.pooled ?? EMPTY_CONFUSION, result.confusion);
  }

  /** Folds in another accumulator (e.g. one per evaluation shard). */
  merge(other: MetricAccumulator): void {
    this.images += other.images;
    for (const [name, s] of other.stats) statsFor(this.stats, name).merge(s);
    for (const [className, theirs] of other.classes) {
      const mine = this.classEntry(className);
      mine.images += theirs.images;
      for (const [name, s] of theirs.stats) statsFor(mine.stats, name).merge(s);
      if (theirs.pooled) mine.pooled = addConfusion(mine.pooled ?? EMPTY_CONFUSION, theirs.pooled);
    }
    if (other.curveSum) {
      this.curveSum ??= new Float64Array(F_CURVE_LEVELS);
      for (let t = 0; t < F_CURVE_LEVELS; t++) this.curveSum[t] += other.curveSum[t];
      this.curveCount += other.curveCount;
    }
    if (other.pooled) this.pooled = addConfusion(this.pooled ?? EMPTY_CONFUSION, other.pooled);
  }

  get count(): number {
    return this.images;
  }

  private classEntry(className: string): ClassEntry {
    let entry = this.classes.get(className);
    if (!entry) {
      entry = { images: 0, stats: new Map<string, RunningStats>(), pooled: undefined };
      this.classes.set(className, entry);
    }
    return entry;
  }

  summary(): AggregateSummary {
    const metrics: Record<string, MetricStats> = {};
    for (const [name, s] of [...this.stats].sort(([a], [b]) => (a < b ? -1 : 1))) metrics[name] = s.stats();
    const perClass: ClassSummary[] = [...this.classes]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([className, entry]) => {
        const means: Record<string, number> = {};
        for (const [name, s] of entry.stats) means[name] = s.mean;
        return { className, images: entry.images, means, iou: pooledIoUFromConfusion(entry.pooled) };
      });
    let datasetMaxF = Number.NaN;
    if (this.curveSum && this.curveCount > 0) {
      datasetMaxF = 0;
      for (const v of this.curveSum) datasetMaxF = Math.max(datasetMaxF, v / this.curveCount);
    }
    return {
      images: this.images,
      metrics,
      perClass,
      pooledIoU: pooledIoUFromConfusion(this.pooled),
      datasetMaxF,
      pooledBER: this.pooled ? berFromConfusion(this.pooled) : Number.NaN,
    };
  }
}

function statsFor(map: Map<string, RunningStats>, name: string): RunningStats {
  let s = map.get(name);
  if (!s) {
    s = new RunningStats();
    map.set(name, s);
  }
  return s;
}
