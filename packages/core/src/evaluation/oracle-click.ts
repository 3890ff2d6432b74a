/**
 * The standard oracle-click protocol of interactive segmentation (as in RITM / f-BRS): the next click
 * goes at the interior point (maximum distance to the region's edge) of the larger error region,
 * positive if that region is missed foreground, negative if it is wrongly included background.
 */
import type { BinaryMask } from "../mask/types.ts";
import type { Point, PointLabel } from "../models/ports.ts";
import { squaredDistanceInside } from "./edt.ts";

export interface OracleClick {
  readonly point: Point;
  readonly label: PointLabel;
}

function deepest(dist: Float64Array): { index: number; value: number } {
  let index = -1;
  let value = 0;
  for (let i = 0; i < dist.length; i++) {
    if (dist[i] > value) {
      value = dist[i];
      index = i;
    }
  }
  return { index, value };
}

/**
 * The next oracle click for `prediction` against `truth` (same size), or undefined when the
 * prediction is already exact. Ties go to the positive click (missed foreground).
 */
export function nextOracleClick(prediction: BinaryMask, truth: BinaryMask): OracleClick | undefined {
  const { width, height } = truth;
  const n = width * height;
  const fn = new Uint8Array(n);
  const fp = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = truth.data[i] === 1;
    const p = prediction.data[i] === 1;
    if (g && !p) fn[i] = 1;
    else if (!g && p) fp[i] = 1;
  }
  const missed = deepest(squaredDistanceInside(fn, width, height));
  const extra = deepest(squaredDistanceInside(fp, width, height));
  if (missed.index < 0 && extra.index < 0) return undefined;
  const positive = missed.value >= extra.value;
  const index = positive ? missed.index : extra.index;
  return { point: { x: (index % width) + 0.5, y: Math.floor(index / width) + 0.5 }, label: positive ? 1 : 0 };
}
