import { describe, expect, it } from "vitest";
import { iouGainReward } from "./reward.ts";

describe("the iou-gain reward", () => {
  it("pays 20x the IoU gain, clipped to the paper reward's range", () => {
    expect(iouGainReward(0.4, 0.45)).toBeCloseTo(1, 6); // +5 points = one paper reward
    expect(iouGainReward(0.5, 0.49)).toBeCloseTo(-0.2, 6);
    expect(iouGainReward(0.2, 0.9)).toBe(1);
    expect(iouGainReward(0.9, 0.1)).toBe(-1);
  });
});
