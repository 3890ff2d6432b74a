import { describe, expect, it } from "vitest";
import { createRgbImage, type RgbImage } from "../image/types.ts";
import { type BinaryMask, createBinaryMask } from "../mask/types.ts";
import { iou } from "../metrics/iou.ts";
import { createClassicSegmenter } from "../models/classic/index.ts";
import type { Embedding } from "../models/ports.ts";
import { cachingSegmenter } from "./caching-segmenter.ts";
import {
  centreClickMethod,
  maskToGrid,
  oracleClicksMethod,
  perSamClick,
  perSamMethod,
  perSamTarget,
} from "./segmenter-baselines.ts";

/** A grey, mildly noisy scene with one red square: the "object" every example is about. */
function scene(
  size: number,
  square: { x: number; y: number; side: number },
  seed: number,
): { image: RgbImage; mask: BinaryMask } {
  const image = createRgbImage(size, size);
  const mask = createBinaryMask(size, size);
  let s = seed;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const noise = (s >>> 24) % 16;
      const inside =
        x >= square.x && x < square.x + square.side && y >= square.y && y < square.y + square.side;
      const i = y * size + x;
      mask.data[i] = inside ? 1 : 0;
      image.data.set(
        inside ? [200 + noise, 30 + noise, 30 + noise] : [110 + noise, 120 + noise, 110 + noise],
        i * 3,
      );
    }
  }
  return { image, mask };
}

/** A hand-made embedding: one channel that is 1 on cells in `hot`, 0 elsewhere, plus a constant channel. */
function embedding(hot: (gx: number, gy: number) => boolean, imageSize = 80): Embedding {
  const w = 8;
  const data = new Float32Array(2 * w * w);
  for (let gy = 0; gy < w; gy++) for (let gx = 0; gx < w; gx++) data[gy * w + gx] = hot(gx, gy) ? 1 : 0;
  data.fill(0.5, w * w);
  return {
    modelId: "test",
    channels: 2,
    height: w,
    width: w,
    data,
    imageWidth: imageSize,
    imageHeight: imageSize,
  };
}

describe("PerSAM-style prompt", () => {
  it("averages the mask over embedding cells", () => {
    const mask = createBinaryMask(80, 80);
    for (let y = 0; y < 10; y++) mask.data.fill(1, y * 80, y * 80 + 5); // half of cell (0, 0)
    const grid = maskToGrid(
      mask,
      embedding(() => false),
    );
    expect(grid[0]).toBeCloseTo(0.5, 6);
    expect(grid.slice(1).every((v) => v === 0)).toBe(true);
  });

  it("clicks the cell most similar to the examples' foreground feature", () => {
    // Examples: the object (hot channel) sits top-left; in the test image it sits at cell (6, 5).
    const exampleMask = createBinaryMask(80, 80);
    for (let y = 0; y < 20; y++) exampleMask.data.fill(1, y * 80, y * 80 + 20);
    const example = embedding((gx, gy) => gx < 2 && gy < 2);
    const target = perSamTarget([{ embedding: example, mask: exampleMask }]);
    const click = perSamClick(
      embedding((gx, gy) => gx === 6 && gy === 5),
      target,
    );
    expect(click).toEqual({ x: 65, y: 55 });
  });

  it("refuses examples without foreground", () => {
    expect(() =>
      perSamTarget([{ embedding: embedding(() => true), mask: createBinaryMask(80, 80) }]),
    ).toThrow(/no foreground/);
  });

  it("finds the red object with the classic segmenter after seeing it elsewhere", async () => {
    const segmenter = createClassicSegmenter({ workingLongSide: 96 });
    const training = [scene(96, { x: 8, y: 8, side: 30 }, 1), scene(96, { x: 50, y: 20, side: 34 }, 2)];
    const method = await perSamMethod(segmenter, training);
    const test = scene(96, { x: 56, y: 52, side: 32 }, 3);
    const { mask } = await method.predict(test.image, { id: "t" });
    expect(iou(mask, test.mask)).toBeGreaterThan(0.5);
  });
});

describe("centre click", () => {
  it("segments an object that sits at the centre", async () => {
    const segmenter = createClassicSegmenter({ workingLongSide: 96 });
    const test = scene(96, { x: 30, y: 30, side: 36 }, 4);
    const { mask } = await centreClickMethod(segmenter).predict(test.image, { id: "c" });
    expect(iou(mask, test.mask)).toBeGreaterThan(0.5);
  });
});

describe("oracle clicks", () => {
  it("finds an off-centre object the centre click misses, and refuses to run without the truth", async () => {
    const segmenter = createClassicSegmenter({ workingLongSide: 96 });
    const test = scene(96, { x: 4, y: 60, side: 28 }, 5);
    const oracle = oracleClicksMethod(segmenter, 5);
    expect(oracle.usesGroundTruth).toBe(true);
    const { mask } = await oracle.predict(test.image, { id: "o", truth: test.mask });
    const centre = (await centreClickMethod(segmenter).predict(test.image, { id: "o" })).mask;
    expect(iou(mask, test.mask)).toBeGreaterThan(0.7);
    expect(iou(mask, test.mask)).toBeGreaterThan(iou(centre, test.mask));
    await expect(oracle.predict(test.image, { id: "o" })).rejects.toThrow(/ground truth/);
  });
});

describe("cachingSegmenter", () => {
  it("encodes each image object once and shares the embedding", async () => {
    const shared = cachingSegmenter(createClassicSegmenter({ workingLongSide: 64 }));
    const a = scene(64, { x: 10, y: 10, side: 20 }, 5).image;
    const b = scene(64, { x: 10, y: 10, side: 20 }, 5).image;
    const first = await shared.encode(a);
    expect(await shared.encode(a)).toBe(first);
    await shared.encode(b);
    expect(shared.encodes).toBe(2);
  });

  it("retries after a failed encode", async () => {
    const broken = cachingSegmenter(createClassicSegmenter());
    const empty = createRgbImage(0, 0);
    await expect(broken.encode(empty)).rejects.toThrow();
    await expect(broken.encode(empty)).rejects.toThrow();
    expect(broken.encodes).toBe(2);
  });
});
