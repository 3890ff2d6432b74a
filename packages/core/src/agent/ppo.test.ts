import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTf } from "../tf/backend.ts";
import { ActorCritic } from "./policy-net.ts";
import {
  advantages,
  bootstrappedReturns,
  clippedSurrogate,
  createPpoOptimizer,
  ppoUpdate,
  standardize,
} from "./ppo.ts";

describe("PPO arithmetic", () => {
  it("discounts rewards to the end and bootstraps with V of the final state", () => {
    const q = bootstrappedReturns([1, -1, 1], 2, 0.5);
    // Q3 = 1 + 0.5*2 = 2; Q2 = -1 + 0.5*2 = 0; Q1 = 1 + 0.5*0 = 1
    expect(q).toEqual([1, 0, 2]);
    expect(bootstrappedReturns([1, 1], 0, 0.99)).toEqual([1 + 0.99, 1]);
  });

  it("takes advantages as Q - V", () => {
    expect(advantages([1, 0, 2], [0.5, -1, 2])).toEqual([0.5, 1, 0]);
  });

  it("standardises advantages and leaves a constant batch centred", () => {
    const s = standardize([1, 3]);
    expect(s[0]).toBeCloseTo(-1);
    expect(s[1]).toBeCloseTo(1);
    expect(standardize([2, 2])).toEqual([0, 0]);
  });

  it("clips the ratio above 1 + eps for a positive advantage", () => {
    expect(clippedSurrogate(1.5, 2, 0.2)).toBeCloseTo(2.4);
    expect(clippedSurrogate(1.1, 2, 0.2)).toBeCloseTo(2.2);
  });

  it("does not clip a small ratio for a positive advantage (the min keeps the pessimistic term)", () => {
    expect(clippedSurrogate(0.5, 2, 0.2)).toBeCloseTo(1);
  });

  it("clips the ratio below 1 - eps for a negative advantage", () => {
    expect(clippedSurrogate(0.5, -2, 0.2)).toBeCloseTo(-1.6);
    expect(clippedSurrogate(0.9, -2, 0.2)).toBeCloseTo(-1.8);
  });

  it("does not clip a large ratio for a negative advantage", () => {
    expect(clippedSurrogate(1.5, -2, 0.2)).toBeCloseTo(-3);
  });
});

describe("PPO update", () => {
  beforeAll(async () => {
    await initTf();
  });

  it("raises the probability of a rewarded action and lowers a punished one, never choosing clicked cells", () => {
    const shape = { inputChannels: 3, stateSize: 4, gridSide: 2, hidden: 8 };
    const net = new ActorCritic(shape, 3);
    const state = Float32Array.from({ length: 48 }, (_, i) => Math.cos(i));
    const available = Uint8Array.from([1, 1, 1, 0]);
    const before = net.evaluate(state, available);
    expect(before.probs[3]).toBe(0);
    const transitions = [
      { state, available, action: 0, reward: 1, logProb: Math.log(before.probs[0]), value: before.value },
      { state, available, action: 1, reward: -1, logProb: Math.log(before.probs[1]), value: before.value },
    ];
    const opt = createPpoOptimizer(1e-2);
    const stats = ppoUpdate(net, opt, [{ transitions, bootstrap: 0 }], {
      gamma: 0.9,
      clip: 0.2,
      epochs: 10,
      entropy: 0,
      normalizeAdvantages: false,
    });
    const after = net.evaluate(state, available);
    expect(after.probs[0]).toBeGreaterThan(before.probs[0]);
    expect(after.probs[1]).toBeLessThan(before.probs[1]);
    expect(after.probs[3]).toBe(0);
    expect(Number.isFinite(stats.criticLoss)).toBe(true);
    net.dispose();
    opt.dispose();
  });

  it("does not leak tensors across an update", () => {
    const net = new ActorCritic({ inputChannels: 3, stateSize: 2, gridSide: 2, hidden: 4 }, 1);
    const opt = createPpoOptimizer(1e-3);
    const state = new Float32Array(12).fill(0.5);
    const t = {
      state,
      available: new Uint8Array(4).fill(1),
      action: 2,
      reward: 1,
      logProb: Math.log(0.25),
      value: 0,
    };
    const hp = { gamma: 0.99, clip: 0.2, epochs: 2, entropy: 0.01, normalizeAdvantages: true };
    ppoUpdate(net, opt, [{ transitions: [t], bootstrap: 0 }], hp);
    const n = tf.memory().numTensors;
    ppoUpdate(net, opt, [{ transitions: [t], bootstrap: 0 }], hp);
    expect(tf.memory().numTensors).toBe(n);
    net.dispose();
    opt.dispose();
  });
});
