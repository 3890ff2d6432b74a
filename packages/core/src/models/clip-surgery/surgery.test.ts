import { describe, expect, it } from "vitest";
import { resampleToGrid } from "./preprocess.ts";
import { ensemble, featureSurgery, normaliseRows, patchMap } from "./surgery.ts";

describe("feature surgery arithmetic (hand-checked)", () => {
  // d = 2; tokens: class [1,0], patch1 [1,0], patch2 [0,1]; classes t1 = [1,0], t2 = [0,1].
  const image = new Float32Array([1, 0, 1, 0, 0, 1]);
  const texts = new Float32Array([1, 0, 0, 1]);

  it("weights classes by the class token's softmax and subtracts the class-mean feature", () => {
    // prob = softmax(2 * [1, 0]) = [e^2, 1] / (e^2 + 1); w = prob / mean(prob) = 2 * prob.
    const p1 = Math.exp(2) / (Math.exp(2) + 1);
    const w1 = 2 * p1;
    const w2 = 2 * (1 - p1);
    const sim = featureSurgery(image, texts, 2);
    // patch1 = [1,0]: products [w1, 0] and [0, 0]; mean [w1/2, 0]; sums +w1/2 and -w1/2.
    expect(sim[2]).toBeCloseTo(w1 / 2, 6);
    expect(sim[3]).toBeCloseTo(-w1 / 2, 6);
    // patch2 = [0,1]: products [0, 0] and [0, w2]; mean [0, w2/2]; sums -w2/2 and +w2/2.
    expect(sim[4]).toBeCloseTo(-w2 / 2, 6);
    expect(sim[5]).toBeCloseTo(w2 / 2, 6);
    expect(w1 / 2).toBeCloseTo(0.880797, 5);
  });

  it("with redundant features computes image @ (text - redundant)", () => {
    const sim = featureSurgery(image, new Float32Array([1, 0]), 2, new Float32Array([0.5, 0.5]));
    expect(Array.from(sim)).toEqual([0.5, 0.5, -0.5]);
  });

  it("min-max normalises the patch tokens only, and flattens a constant map to zeros", () => {
    const sim = new Float32Array([100, -7, 1, 3, 9, 5, 2, 2]); // [4 tokens, 2 classes]
    expect(Array.from(patchMap(sim, 2, 0))).toEqual([0, 1, 0.125]); // column 0 of patches: 1, 9, 2
    const col1 = patchMap(sim, 2, 1); // column 1 of patches: 3, 5, 2 -> (v - 2) / 3
    expect(col1[0]).toBeCloseTo(1 / 3, 6);
    expect([col1[1], col1[2]]).toEqual([1, 0]);
    expect(Array.from(patchMap(new Float32Array([5, 2, 2, 2]), 1, 0))).toEqual([0, 0, 0]);
  });

  it("ensembles unit-normalised prompts and renormalises", () => {
    const e = ensemble(new Float32Array([2, 0, 0, 1]), 2);
    expect(e[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(e[1]).toBeCloseTo(Math.SQRT1_2, 6);
    const unit = normaliseRows(new Float32Array([3, 4, 0, 0]), 2);
    expect(unit[0]).toBeCloseTo(0.6, 6);
    expect(unit[1]).toBeCloseTo(0.8, 6);
    expect([unit[2], unit[3]]).toEqual([0, 0]);
  });
});

describe("resampleToGrid", () => {
  it("equals F.interpolate(bilinear, align_corners=False) for the stretch frame", () => {
    const frame = { size: 224, scaleX: 224 / 50, scaleY: 224 / 30, offsetX: 0, offsetY: 0 };
    const out = resampleToGrid(
      new Float32Array([1, 2, 3, 4]),
      2,
      frame,
      { width: 50, height: 30 },
      { width: 4, height: 4 },
    );
    expect(Array.from(out.data)).toEqual([
      1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4,
    ]);
  });

  it("places a centre-cropped map in the middle of a wide image, clamping outside the crop", () => {
    // 200 x 100 image, crop = the middle 100 x 100 (scale 1 for size 100); map is 0 left, 1 right.
    const frame = { size: 100, scaleX: 1, scaleY: 1, offsetX: 50, offsetY: 0 };
    const out = resampleToGrid(
      new Float32Array([0, 1, 0, 1]),
      2,
      frame,
      { width: 200, height: 100 },
      { width: 4, height: 1 },
    );
    expect(Array.from(out.data)).toEqual([0, 0, 1, 1]);
  });
});
