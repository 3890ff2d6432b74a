import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTf } from "../tf/backend.ts";
import { createRandom } from "../util/random.ts";
import { conv3x3, dilatedConv3x3, double, halve, heNormal, linear, neighbourhoods } from "./layers.ts";

beforeAll(async () => {
  await initTf();
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe("layer primitives", () => {
  it("computes a 3x3 conv and both its gradients exactly like im2col + matMul", () => {
    const rng = createRandom(1);
    const x = heNormal([2, 5, 4, 3], 1, rng, 1);
    const w = heNormal([27, 4], 1, rng, 1);
    const dy = heNormal([2, 5, 4, 4], 1, rng, 1);
    const reference = (a: tf.Tensor, b: tf.Tensor) =>
      tf.matMul(neighbourhoods(a as tf.Tensor4D).reshape([40, 27]), b as tf.Tensor2D).reshape([2, 5, 4, 4]);
    const fast = (a: tf.Tensor, b: tf.Tensor) => conv3x3(a as tf.Tensor4D, b as tf.Tensor2D);
    expect(maxAbsDiff(fast(x, w), reference(x, w))).toBeLessThan(1e-4);
    const [gxFast, gwFast] = tf.grads((a, b) => tf.sum(tf.mul(fast(a, b), dy)))([x, w]);
    const [gxRef, gwRef] = tf.grads((a, b) => tf.sum(tf.mul(reference(a, b), dy)))([x, w]);
    expect(maxAbsDiff(gxFast, gxRef)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gwFast, gwRef)).toBeLessThan(1e-4);
  });

  it("computes dilated 3x3 convs and their gradients like dilated im2col + matMul", () => {
    const rng = createRandom(4);
    for (const d of [2, 3]) {
      const x = heNormal([2, 9, 7, 3], 1, rng, 1);
      const w = heNormal([27, 4], 1, rng, 1);
      const dy = heNormal([2, 9, 7, 4], 1, rng, 1);
      const reference = (a: tf.Tensor, b: tf.Tensor) =>
        tf
          .matMul(neighbourhoods(a as tf.Tensor4D, d).reshape([126, 27]), b as tf.Tensor2D)
          .reshape([2, 9, 7, 4]);
      const fast = (a: tf.Tensor, b: tf.Tensor) => dilatedConv3x3(d)(a as tf.Tensor4D, b as tf.Tensor2D);
      expect(maxAbsDiff(fast(x, w), reference(x, w))).toBeLessThan(1e-4);
      const [gxFast, gwFast] = tf.grads((a, b) => tf.sum(tf.mul(fast(a, b), dy)))([x, w]);
      const [gxRef, gwRef] = tf.grads((a, b) => tf.sum(tf.mul(reference(a, b), dy)))([x, w]);
      expect(maxAbsDiff(gxFast, gxRef)).toBeLessThan(1e-4);
      expect(maxAbsDiff(gwFast, gwRef)).toBeLessThan(1e-4);
    }
  });

  it("halves by 2x2 means and doubles by repetition, with gradients", () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
    expect(Array.from(halve(x).dataSync())).toEqual([3.5, 5.5, 11.5, 13.5]);
    const up = double(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
    expect(Array.from(up.dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const g = tf.grad((a) => tf.sum(double(halve(a as tf.Tensor4D))))(x);
    expect(Array.from(g.dataSync())).toEqual(new Array(16).fill(1));
  });

  it("differentiates matMul like tf.matMul", () => {
    const rng = createRandom(2);
    const a = heNormal([6, 3], 1, rng, 1);
    const b = heNormal([3, 2], 1, rng, 1);
    const [ga, gb] = tf.grads((p, q) => tf.sum(tf.square(linear(p as tf.Tensor2D, q as tf.Tensor2D))))([
      a,
      b,
    ]);
    const [ra, rb] = tf.grads((p, q) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))))([
      a,
      b,
    ]);
    expect(maxAbsDiff(ga, ra)).toBeLessThan(1e-5);
    expect(maxAbsDiff(gb, rb)).toBeLessThan(1e-5);
  });
});
