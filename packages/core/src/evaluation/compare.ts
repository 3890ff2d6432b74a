/**
 * Paired comparison of two methods on the same images. Dataset means of a few dozen images move by
 * a point or two from sampling alone; the per-image difference and its standard error say whether
 * "A beats B" is more than that.
 */
import { AlignSamError } from "../errors.ts";
import type { ImageRecord } from "./evaluate.ts";
import { formatMetric, higherIsBetter } from "./report.ts";

export interface PairedDifference {
  readonly metric: string;
  /** Images both methods scored (finite values). */
  readonly images: number;
  /** Mean of (a - b) over images, in the metric's own units. */
  readonly mean: number;
  /** Standard error of that mean (sample std / sqrt(n)); NaN with fewer than 2 images. */
  readonly standardError: number;
  /** Images where a is strictly better than b, and strictly worse. */
  readonly wins: number;
  readonly losses: number;
}

/**
 * Per-image difference a - b of `metric`, matched by image id.
 * @throws AlignSamError INVALID_ARGUMENT when the two lists share no image.
 * @example pairedDifference(alignsam.records, noRl.records, "mIoU").mean // 0.031
 */
export function pairedDifference(
  a: readonly ImageRecord[],
  b: readonly ImageRecord[],
  metric: string,
): PairedDifference {
  const byId = new Map(b.map((r) => [r.id, r.metrics[metric]]));
  const diffs: number[] = [];
  let wins = 0;
  let losses = 0;
  const sign = higherIsBetter(metric) ? 1 : -1;
  for (const r of a) {
    const va = r.metrics[metric];
    const vb = byId.get(r.id);
    if (vb === undefined || !Number.isFinite(va) || !Number.isFinite(vb)) continue;
    const d = va - vb;
    diffs.push(d);
    if (sign * d > 0) wins++;
    else if (sign * d < 0) losses++;
  }
  if (diffs.length === 0) {
    throw new AlignSamError("INVALID_ARGUMENT", `no image has a finite "${metric}" under both methods`);
  }
  const n = diffs.length;
  const mean = diffs.reduce((s, d) => s + d, 0) / n;
  const variance = n > 1 ? diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1) : Number.NaN;
  return { metric, images: n, mean, standardError: Math.sqrt(variance / n), wins, losses };
}

/**
 * One sentence saying whether `a` beats `b` on `metric`, with the paired difference, its standard
 * error and win/loss counts; "clearly" only when the difference exceeds two standard errors.
 * @example verdict("AlignSAM", "centre click", diff) // "AlignSAM beats centre click on mIoU: ..."
 */
export function verdict(nameA: string, nameB: string, diff: PairedDifference): string {
  const better = higherIsBetter(diff.metric) ? diff.mean > 0 : diff.mean < 0;
  const clear = Number.isFinite(diff.standardError) && Math.abs(diff.mean) > 2 * diff.standardError;
  const scale = diff.metric === "MAE" || diff.metric === "BER" ? 1 : 100;
  const delta = `${diff.mean >= 0 ? "+" : "-"}${formatMetric(diff.metric, Math.abs(diff.mean))}`;
  const se = Number.isFinite(diff.standardError) ? formatMetric(diff.metric, diff.standardError) : "n/a";
  const unit = scale === 100 ? " points" : "";
  const how =
    diff.mean === 0
      ? "ties with"
      : better
        ? clear
          ? "clearly beats"
          : "beats, within noise,"
        : clear
          ? "clearly loses to"
          : "loses, within noise, to";
  return (
    `${nameA} ${how} ${nameB} on ${diff.metric}: paired difference ${delta}${unit} ` +
    `(standard error ${se}; better on ${diff.wins}, worse on ${diff.losses} of ${diff.images} images).`
  );
}
