import { describe, expect, it } from "vitest";
import { BLEND_K, blendProbabilities, blendProbabilitiesMany, type PixelBlend } from "./blend.ts";

function randomBlend(pixels: number, nodes: number): PixelBlend {
  const ids = new Int32Array(pixels * BLEND_K);
  const weights = new Float32Array(pixels * BLEND_K);
  for (let p = 0; p < pixels; p++) {
    let sum = 0;
    for (let k = 0; k < BLEND_K; k++) {
      ids[p * BLEND_K + k] = (p * 7 + k * 13) % nodes;
      weights[p * BLEND_K + k] = 1 + ((p + k) % 5);
      sum += weights[p * BLEND_K + k];
    }
    for (let k = 0; k < BLEND_K; k++) weights[p * BLEND_K + k] /= sum;
  }
  return { nodes: ids, weights };
}

describe("blendProbabilitiesMany", () => {
  it("blends three candidates in one pass exactly as one at a time", () => {
    const blend = randomBlend(500, 23);
    const candidates = [0, 1, 2].map((c) =>
      Float32Array.from({ length: 23 }, (_, i) => ((i * (c + 3)) % 10) / 9),
    );
    const many = blendProbabilitiesMany(blend, candidates);
    for (const [c, nodeP] of candidates.entries()) expect(many[c]).toEqual(blendProbabilities(blend, nodeP));
  });

  it("handles other candidate counts one at a time", () => {
    const blend = randomBlend(10, 4);
    const one = [Float32Array.from([0, 1, 0.5, 0.25])];
    expect(blendProbabilitiesMany(blend, one)).toEqual([blendProbabilities(blend, one[0])]);
  });
});
