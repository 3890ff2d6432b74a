import { describe, expect, it } from "vitest";
import { createRgbImage, type RgbImage } from "../image/types.ts";
import { type BinaryMask, createBinaryMask } from "../mask/types.ts";
import { createClassicSegmenter } from "../models/classic/index.ts";
import { segmentImage, trainPolicy } from "../pipeline/index.ts";
import { defaultTaskRegistry } from "../tasks/registry.ts";
import {
  alignSamMethod,
  srmAloneMethod,
  stepSweepMethods,
  thresholdMap,
  upsampleMap,
} from "./alignsam-methods.ts";
import { cachingSegmenter } from "./caching-segmenter.ts";
import { evaluateMany } from "./evaluate.ts";

function blobScene(size: number, cx: number, cy: number, r: number): { image: RgbImage; mask: BinaryMask } {
  const image = createRgbImage(size, size);
  const mask = createBinaryMask(size, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      const i = y * size + x;
      mask.data[i] = inside ? 1 : 0;
      const t = (x * 7 + y * 13) % 9;
      image.data.set(inside ? [220, 200 + t, 40] : [60 + t, 90, 120 + t], i * 3);
    }
  }
  return { image, mask };
}

describe("upsampleMap", () => {
  it("interpolates between cell centres and clamps at the borders", () => {
    const out = upsampleMap({ width: 2, height: 1, data: Float32Array.from([0, 1]) }, 4, 2);
    expect(Array.from(out.data)).toEqual([0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1]);
    expect(Array.from(thresholdMap(out).data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });
});

describe("AlignSAM evaluation methods", () => {
  it("reads the T sweep from one greedy episode, matching separate runs of each T", async () => {
    const segmenter = cachingSegmenter(createClassicSegmenter({ workingLongSide: 48 }));
    const train = [blobScene(48, 14, 14, 9), blobScene(48, 32, 30, 10)].map((s, i) => ({
      ...s,
      id: `t${i}`,
    }));
    const task = defaultTaskRegistry.get("glass");
    const policy = await trainPolicy(train, task, {
      segmenter,
      seed: 3,
      epochs: 1,
      ppoEpochs: 1,
      steps: 3,
      grid: { imageSize: 40, patchSize: 10 },
      hidden: 8,
      srmHidden: 8,
    });
    try {
      const test = blobScene(48, 24, 22, 11);
      const sweep = stepSweepMethods(policy, [1, 3], { segmenter });
      const one = await sweep[0].predict(test.image, { id: "x" });
      const three = await sweep[1].predict(test.image, { id: "x" });
      for (const [t, got] of [
        [1, one],
        [3, three],
      ] as const) {
        const direct = await segmentImage(test.image, policy, { segmenter, steps: t, keepStepMasks: true });
        const last = direct.stepMasks!.logits.at(-1)!;
        const expected = Array.from(last, (v) => (v >= 0 ? 1 : 0));
        // Stretch frame, 48 px image on a 48-cell low-res grid: one pixel per cell.
        expect(direct.stepMasks!.size).toBe(segmenter.info.lowResSize);
        const gotCells = new Set<number>();
        const size = direct.stepMasks!.size;
        for (let y = 0; y < 48; y++) {
          for (let x = 0; x < 48; x++) {
            const cell = Math.floor(((y + 0.5) / 48) * size) * size + Math.floor(((x + 0.5) / 48) * size);
            if (got.mask.data[y * 48 + x] !== expected[cell]) gotCells.add(cell);
          }
        }
        expect(gotCells.size).toBe(0);
      }

      const methods = [
        alignSamMethod(policy, { segmenter }),
        alignSamMethod(policy, { segmenter, ablation: "no-rl", name: "no RL" }),
        srmAloneMethod(policy, { segmenter }),
      ];
      const results = await evaluateMany(methods, [{ id: "x", ...test }], task, {
        load: async (p) => ({ image: p.image, mask: p.mask }),
      });
      expect(results.map((r) => r.summary.method)).toEqual(["AlignSAM", "no RL", "SRM map alone"]);
      for (const r of results) {
        for (const v of Object.values(r.summary.metrics)) expect(Number.isFinite(v)).toBe(true);
      }
      const srm = await methods[2].predict(test.image, { id: "x" });
      expect([srm.mask.width, srm.mask.height]).toEqual([48, 48]);
      const initial = await segmentImage(test.image, policy, { segmenter, steps: 0 });
      expect(initial.srmMap.width).toBeGreaterThan(0);
      expect(Array.from(srm.mask.data)).toEqual(
        Array.from(thresholdMap(upsampleMap(initial.srmMap, 48, 48)).data),
      );
    } finally {
      policy.dispose();
    }
  });
});
