import { describe, expect, it } from "vitest";
import type { Embedding } from "../models/ports.ts";
import {
  agentInputChannels,
  appendChannels,
  buildState,
  computeFeatureStats,
  maskFromLowRes,
  prepareImageFeatures,
  stateChannels,
} from "./state.ts";

/** 1 channel, 4 x 4, values 0..15 row-major. */
const embedding: Embedding = {
  modelId: "t",
  channels: 1,
  height: 4,
  width: 4,
  data: Float32Array.from({ length: 16 }, (_, i) => i),
  imageWidth: 8,
  imageHeight: 8,
};
const identity = { mean: [0], std: [1] };

describe("agent state", () => {
  it("pools E, E * M and M to the state resolution, HWC", () => {
    const f = prepareImageFeatures(embedding, identity, 2);
    // top-left 2x2 block holds 0, 1, 4, 5
    expect(Array.from(f.pooled)).toEqual([2.5, 4.5, 10.5, 12.5]);
    const mask = Float32Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? 1 : 0)); // left half
    const s = buildState(f, mask);
    expect(stateChannels(1)).toBe(3);
    // position (0,0): E*M = 2.5, E = 2.5, M = 1; position (0,1): E*M = 0, E = 4.5, M = 0
    expect(Array.from(s.subarray(0, 6))).toEqual([2.5, 2.5, 1, 0, 4.5, 0]);
  });

  it("uses M = 1 before any decode", () => {
    const f = prepareImageFeatures(embedding, identity, 1);
    expect(Array.from(buildState(f, undefined))).toEqual([7.5, 7.5, 1]);
  });

  it("pools only the content region of a letterboxed embedding", () => {
    const f = prepareImageFeatures(embedding, identity, 1, { fx: 1, fy: 0.5 });
    expect(f.pooled[0]).toBeCloseTo(3.5); // rows 0-1: mean of 0..7
  });

  it("normalises channels with the training statistics", () => {
    const stats = computeFeatureStats([embedding]);
    expect(stats.mean[0]).toBeCloseTo(7.5);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt((16 * 16 - 1) / 12), 4);
    const f = prepareImageFeatures(embedding, stats, 1);
    expect(f.pooled[0]).toBeCloseTo(0, 5);
  });

  it("turns low-res logits into an area-averaged probability map", () => {
    const logits = Float32Array.from([0, 0, 100, -100]); // 2 x 2
    expect(Array.from(maskFromLowRes(logits, 2, 1, 1))).toEqual([0.5]);
    const m = maskFromLowRes(logits, 2, 2, 2);
    expect(m[2]).toBeCloseTo(1);
    expect(m[3]).toBeCloseTo(0);
  });

  it("appends the SRM map as the last channel of every position for a state+srm agent", () => {
    expect(agentInputChannels(1, "state")).toBe(3);
    expect(agentInputChannels(1, "state+srm")).toBe(5);
    const state = Float32Array.of(1, 2, 3, 4, 5, 6); // 2 positions x 3 channels
    expect(Array.from(appendChannels(state, [Float32Array.of(0.25, 0.75), Float32Array.of(0.5, 0)]))).toEqual(
      [1, 2, 3, 0.25, 0.5, 4, 5, 6, 0.75, 0],
    );
  });
});
