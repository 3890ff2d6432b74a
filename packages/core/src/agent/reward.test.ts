import { describe, expect, it } from "vitest";
import { iouGainReward, softIou } from "./reward.ts";

describe("the iou-gain reward", () => {
  it("scores soft IoU as sum of minima over sum of maxima", () => {
    // min: 0.5 + 0 + 0.25 = 0.75; max: 1 + 1 + 0.5 = 2.5 -> 0.3
    expect(softIou(Float32Array.of(0.5, 1, 0.25), Float32Array.of(1, 0, 0.5))).toBeCloseTo(0.3, 6);
    expect(softIou(new Float32Array(3), new Float32Array(3))).toBe(1);
  });

  it("pays 20x the IoU gain, clipped to the paper reward's range", () => {
    expect(iouGainReward(0.4, 0.45)).toBeCloseTo(1, 6); // +5 points = one paper reward
    expect(iouGainReward(0.5, 0.49)).toBeCloseTo(-0.2, 6);
    expect(iouGainReward(0.2, 0.9)).toBe(1);
    expect(iouGainReward(0.9, 0.1)).toBe(-1);
  });
});
