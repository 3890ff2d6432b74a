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

/** Which reward trains the agent: the paper's click-on-foreground, or the mask's IoU gain. */
export type RewardKind = "paper" | "iou-gain";

/**
 * The "iou-gain" reward (the default): how much the click improved the full-size mask's IoU with the
 * ground truth (the number the evaluation scores), scaled so a 5-point IoU gain is worth
 * one paper reward. It credits what a click does to the segmentation (a negative click at a leak,
 * a positive one in a missed part), which the paper's reward cannot see.
 */
export function iouGainReward(before: number, after: number): number {
  return Math.max(-1, Math.min(1, (after - before) * 20));
}
