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
 * Soft IoU of a mask map with the ground truth, both as R x R foreground fractions on the grid.
 * @example softIou(Float32Array.of(1, 0), Float32Array.of(1, 1)) // 0.5
 */
export function softIou(mask: Float32Array, target: Float32Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < mask.length; i++) {
    inter += Math.min(mask[i], target[i]);
    union += Math.max(mask[i], target[i]);
  }
  return union > 0 ? inter / union : 1;
}

/**
 * The "iou-gain" reward: how much the click improved the mask, scaled so a 5-point IoU gain is worth
 * one paper reward. It credits what a click does to the segmentation (a negative click at a leak,
 * a positive one in a missed part), which the paper's reward cannot see.
 */
export function iouGainReward(before: number, after: number): number {
  return Math.max(-1, Math.min(1, (after - before) * 20));
}
