import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createRandom } from "../util/random.ts";
import { initTf } from "../tf/backend.ts";
import { bceWithLogits, diceLoss, downsampleMask, segmentationLoss } from "./loss.ts";
import { Srm } from "./srm.ts";

beforeAll(async () => {
  await initTf();
});

describe("SRM loss (Dice + BCE)", () => {
  it("matches the hand-computed Dice loss", () => {
    // p = [0.5, 1, 0, 0.5], y = [1, 1, 0, 0]: 1 - 2*1.5 / (2 + 2) = 0.25
    const p = tf.tensor2d([[0.5, 1, 0, 0.5]]);
    const y = tf.tensor2d([[1, 1, 0, 0]]);
    expect(diceLoss(p, y).dataSync()[0]).toBeCloseTo(0.25, 5);
  });

  it("matches the hand-computed BCE from logits", () => {
    // z = 0 -> log 2 either way; z = ln 3 (p = 0.75) with y = 1 -> -ln 0.75
    const z = tf.tensor1d([0, Math.log(3)]);
    const y = tf.tensor1d([1, 1]);
    expect(bceWithLogits(z, y).dataSync()[0]).toBeCloseTo((Math.log(2) - Math.log(0.75)) / 2, 5);
  });

  it("sums both terms", () => {
    const z = tf.tensor2d([[0, Math.log(3)]]);
    const y = tf.tensor2d([[0, 1]]);
    // Dice: p = [0.5, 0.75], 1 - 2*0.75 / (1.25 + 1) = 1/3; BCE: (ln 2 - ln 0.75) / 2
    const expected = 1 - 1.5 / 2.25 + (Math.log(2) - Math.log(0.75)) / 2;
    expect(segmentationLoss(z, y).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it("downsamples ground truth to foreground fractions", () => {
    const mask = { width: 4, height: 2, data: Uint8Array.from([1, 1, 0, 1, 1, 0, 0, 0]) };
    // 2 x 2 blocks of 2 x 1 pixels: [1,1] [0,1] / [1,0] [0,0]
    expect(Array.from(downsampleMask(mask, 2))).toEqual([1, 0.5, 0.5, 0]);
  });
});

describe("SRM", () => {
  it("learns a per-position target on both branches", () => {
    const rng = createRandom(5);
    const c = 2;
    const r = 4;
    const state = Float32Array.from({ length: r * r * (2 * c + 1) }, () => rng.normal());
    const semantic = Float32Array.from({ length: r * r * (c + 1) }, () => rng.next());
    const target = Float32Array.from({ length: r * r }, (_, i) => (i % 3 === 0 ? 1 : 0));
    for (const branch of ["implicit", "explicit"] as const) {
      const srm = new Srm({ branch, embeddingChannels: c, stateSize: r, gridSide: 2, hidden: 8 }, 9);
      const first = srm.train([state], semantic, target, 1, 1e-2);
      const last = srm.train([state], semantic, target, 60, 1e-2);
      expect(last).toBeLessThan(first * 0.7);
      const yr = srm.predict(state, semantic);
      expect(yr.length).toBe(r * r);
      expect(yr[0]).toBeGreaterThan(yr[1]);
      expect(srm.cellScores(yr).length).toBe(4);
      srm.dispose();
    }
  });

  it("refuses to run the explicit branch without a semantic state", () => {
    const srm = new Srm(
      { branch: "explicit", embeddingChannels: 1, stateSize: 2, gridSide: 2, hidden: 4 },
      1,
    );
    expect(() => srm.predict(new Float32Array(12))).toThrow(/semantic/);
    srm.dispose();
  });
});
