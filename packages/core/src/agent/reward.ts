/**
 * The reward of the paper (Sec. 3.2): +1 when the click lands on ground-truth foreground, -1
 * otherwise. Task-agnostic on purpose, so no per-metric reward engineering is needed.
 */
import type { BinaryMask } from "../mask/types.ts";
import type { Point } from "../models/ports.ts";
import { clickPixel } from "./grid.ts";

/** @example clickReward(gt, { x: 10.5, y: 3 }) // 1 when gt(10, 3) = 1 */
export function clickReward(groundTruth: BinaryMask, point: Point): 1 | -1 {
  const p = clickPixel(point, groundTruth.width, groundTruth.height);
  return groundTruth.data[p.y * groundTruth.width + p.x] === 1 ? 1 : -1;
}
