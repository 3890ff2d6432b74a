/**
 * Streaming aggregation of per-image metrics over a dataset. Holds only running sums (never masks),
 * so evaluating thousands of images costs constant memory, and accumulators from shards merge.
 *
 * What the summary means:
 * - `metrics[name]`: mean / std / min / max over images of the per-image value (mIoU, mean-F, E,
 *   MAE, per-image BER, per-image max-F);
 * - `classMeans[name]`: the VOC convention, mean over classes of the per-class mean (only for
 *   images that carry class names; an image with several names counts towards each);
 * - `datasetMaxF`: the saliency convention for max-F, the max over the 256 thresholds of the mean
 *   F curve (needs `fCurve` on each result);
 * - `pooledBER`: BER of the confusion counts summed over all images (the shadow-detection
 *   convention; needs `confusion` on each result).
 */
import { addConfusion, type Confusion, EMPTY_CONFUSION } from "./confusion.ts";
import { berFromConfusion } from "./error-rates.ts";
import { F_CURVE_LEVELS } from "./fmeasure.ts";
import { type MetricStats, RunningStats } from "./running-stats.ts";

/** What one image contributes; `values` is keyed by metric name (e.g. the registry's "mIoU", "F"). */
export interface ImageResult {
  readonly id?: string;
  /** Class names of the image (coco_mval: the instance's class), for per-class means. */
  readonly classes?: readonly string[];
  readonly values: Readonly<Record<string, number>>;
  /** F-beta at thresholds t/255, t = 0..255 (from fCurve), for dataset-level max-F. */
  readonly fCurve?: Float64Array;
  /** Confusion counts, for pooled BER. */
  readonly confusion?: Confusion;
}

export interface ClassSummary {
  readonly className: string;
  readonly images: number;
  readonly means: Readonly<Record<string, number>>;
}

export interface AggregateSummary {
  readonly images: number;
  readonly metrics: Readonly<Record<string, MetricStats>>;
  readonly perClass: readonly ClassSummary[];
  /** Mean over classes of per-class means, per metric; empty when no image had classes. */
  readonly classMeans: Readonly<Record<string, number>>;
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
  private readonly classes = new Map<string, { images: number; stats: Map<string, RunningStats> }>();
  private curveSum: Float64Array | undefined;
  private curveCount = 0;
  private pooled: Confusion | undefined;

  add(result: ImageResult): void {
    this.images++;
    for (const [name, value] of Object.entries(result.values)) statsFor(this.stats, name).add(value);
    for (const className of new Set(result.classes ?? [])) {
      const entry = this.classes.get(className) ?? { images: 0, stats: new Map<string, RunningStats>() };
      entry.images++;
      for (const [name, value] of Object.entries(result.values)) statsFor(entry.stats, name).add(value);
      this.classes.set(className, entry);
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
      const mine = this.classes.get(className) ?? { images: 0, stats: new Map<string, RunningStats>() };
      mine.images += theirs.images;
      for (const [name, s] of theirs.stats) statsFor(mine.stats, name).merge(s);
      this.classes.set(className, mine);
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

  summary(): AggregateSummary {
    const metrics: Record<string, MetricStats> = {};
    for (const [name, s] of [...this.stats].sort(([a], [b]) => (a < b ? -1 : 1))) metrics[name] = s.stats();
    const perClass: ClassSummary[] = [...this.classes]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([className, entry]) => {
        const means: Record<string, number> = {};
        for (const [name, s] of entry.stats) means[name] = s.mean;
        return { className, images: entry.images, means };
      });
    const classMeans: Record<string, number> = {};
    for (const name of Object.keys(metrics)) {
      const perClassMeans = perClass
        .map((c) => c.means[name])
        .filter((v) => v !== undefined && Number.isFinite(v));
      if (perClassMeans.length > 0)
        classMeans[name] = perClassMeans.reduce((a, b) => a + b, 0) / perClassMeans.length;
    }
    let datasetMaxF = Number.NaN;
    if (this.curveSum && this.curveCount > 0) {
      datasetMaxF = 0;
      for (const v of this.curveSum) datasetMaxF = Math.max(datasetMaxF, v / this.curveCount);
    }
    return {
      images: this.images,
      metrics,
      perClass,
      classMeans,
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
