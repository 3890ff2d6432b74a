import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTf } from "../tf/backend.ts";
import { bceWithLogits, diceLoss, maskToFrame, segmentationLoss } from "./loss.ts";

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
    expect(Array.from(maskToFrame(mask, 2, 2))).toEqual([1, 0.5, 0.5, 0]);
  });
});

describe("ground truth over the embedding frame", () => {
  it("fills the letterbox's content region and leaves the padding background", () => {
    const mask = { width: 4, height: 2, data: Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0]) };
    // A 4 x 4 frame whose top half shows the 4 x 2 image.
    expect(Array.from(maskToFrame(mask, 4, 4, { fx: 1, fy: 0.5 }))).toEqual([
      1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });
});
