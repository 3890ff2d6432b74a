import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import {
  type ResizeKernel,
  resizeFloatArea,
  resizeFloatBilinear,
  resizePlaneNearest,
  resizeRgb,
} from "./resize.ts";

const f32 = (...v: number[]) => Float32Array.from(v);
const close = (actual: Float32Array, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 6);
};

describe("resizeFloatBilinear", () => {
  it("upsamples with half-pixel centres like F.interpolate(align_corners=False)", () => {
    // out x -> src = (x + 0.5) * 2/4 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to last)
    close(resizeFloatBilinear(f32(0, 1), 2, 1, 4, 1), [0, 0.25, 0.75, 1]);
  });

  it("aligns corners when asked: src = x * (in-1)/(out-1)", () => {
    close(resizeFloatBilinear(f32(0, 1), 2, 1, 4, 1, true), [0, 1 / 3, 2 / 3, 1]);
    close(resizeFloatBilinear(f32(0, 3), 2, 1, 1, 1, true), [0]);
  });

  it("interpolates both axes: v(x, y) = x + 2y on a 2x2 grid, read at 4x4", () => {
    const out = resizeFloatBilinear(f32(0, 1, 2, 3), 2, 2, 4, 4);
    const t = [0, 0.25, 0.75, 1];
    const expected: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push(t[x] + 2 * t[y]);
    close(out, expected);
  });

  it("downsamples by point sampling between two inputs, without antialiasing", () => {
    // scale 2: src = 0.5 and 2.5 -> means of (0,1) and (2,3)
    close(resizeFloatBilinear(f32(0, 1, 2, 3), 4, 1, 2, 1), [0.5, 2.5]);
    // 5 -> 2: src = 0.75 and 3.25
    close(resizeFloatBilinear(f32(0, 10, 20, 30, 40), 5, 1, 2, 1), [7.5, 32.5]);
  });

  it("keeps identity sizes unchanged and constant maps constant", () => {
    const data = f32(1, -2, 3.5, 4, 5, 6);
    close(resizeFloatBilinear(data, 3, 2, 3, 2), Array.from(data));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 17 }),
        (w, h, ow, oh) => {
          const out = resizeFloatBilinear(new Float32Array(w * h).fill(0.75), w, h, ow, oh);
          return out.length === ow * oh && out.every((v) => Math.abs(v - 0.75) < 1e-6);
        },
      ),
    );
  });

  it("refuses a map whose length does not match its size", () => {
    expect(() => resizeFloatBilinear(f32(1, 2, 3), 2, 2, 4, 4)).toThrow(/expected 2x2/);
  });
});

describe("resizeFloatArea", () => {
  it("averages whole boxes for integer ratios", () => {
    close(resizeFloatArea(f32(0, 1, 2, 3), 4, 1, 2, 1), [0.5, 2.5]);
    // 4x4 -> 2x2: each output the mean of a 2x2 block
    const data = Float32Array.from({ length: 16 }, (_, i) => i);
    close(resizeFloatArea(data, 4, 4, 2, 2), [2.5, 4.5, 10.5, 12.5]);
  });

  it("weights fractional overlaps: 3 -> 2 covers [0, 1.5) and [1.5, 3)", () => {
    // out0 = (1 * 0 + 0.5 * 3) / 1.5 = 1; out1 = (0.5 * 3 + 1 * 6) / 1.5 = 5
    close(resizeFloatArea(f32(0, 3, 6), 3, 1, 2, 1), [1, 5]);
  });

  it("preserves the mean and stays within the input range, for any sizes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        (w, h, ow, oh, seed) => {
          let s = seed >>> 0;
          const data = Float32Array.from({ length: w * h }, () => {
            s = (s * 1664525 + 1013904223) >>> 0;
            return s / 2 ** 32;
          });
          const out = resizeFloatArea(data, w, h, ow, oh);
          const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
          const lo = Math.min(...data);
          const hi = Math.max(...data);
          return (
            Math.abs(mean(out) - mean(data)) < 1e-5 && out.every((v) => v >= lo - 1e-6 && v <= hi + 1e-6)
          );
        },
      ),
    );
  });
});

describe("resizeRgb", () => {
  const image = (w: number, h: number, f: (x: number, y: number, c: number) => number) => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
    return { width: w, height: h, data };
  };

  it("area-averages 2x2 blocks exactly, rounding to the nearest integer", async () => {
    const src = image(4, 2, (x, _y, c) => x * 10 + c);
    const out = await resizeRgb(src, 2, 1, "area");
    // block (x 0..1) mean = 5 + c, block (x 2..3) mean = 25 + c
    expect(Array.from(out.data)).toEqual([5, 6, 7, 25, 26, 27]);
  });

  it("resizes with the bilinear kernel to the exact size, keeping flat colour flat and ramps ordered", async () => {
    const flat = await resizeRgb(
      image(30, 20, (_x, _y, c) => [10, 120, 240][c]),
      17,
      41,
      "bilinear",
    );
    expect([flat.width, flat.height, flat.data.length]).toEqual([17, 41, 17 * 41 * 3]);
    for (let i = 0; i < flat.data.length; i += 3)
      expect([flat.data[i], flat.data[i + 1], flat.data[i + 2]]).toEqual([10, 120, 240]);
    const ramp = await resizeRgb(
      image(64, 4, (x) => x * 4),
      16,
      4,
      "bilinear",
    );
    const row = Array.from({ length: 16 }, (_, x) => ramp.data[x * 3]);
    for (let x = 1; x < 16; x++) expect(row[x]).toBeGreaterThan(row[x - 1]);
  });

  it("refuses an unknown kernel, listing the valid ones", async () => {
    await expect(
      resizeRgb(
        image(2, 2, () => 0),
        1,
        1,
        "cubic" as ResizeKernel,
      ),
    ).rejects.toSatisfy(
      (e) => isAlignSamError(e, "INVALID_ARGUMENT") && /bilinear, area/.test((e as Error).message),
    );
  });
});

describe("resizeFloatBilinear against TensorFlow.js", () => {
  // tf.image.resizeBilinear(halfPixelCenters=true) uses the same source-index formula as PyTorch's
  // align_corners=False (negative sources clamp to the first pixel), and alignCorners=true the same
  // corner mapping: an independent implementation to agree with on random maps and sizes.
  it("agrees with tf.image.resizeBilinear for both conventions", async () => {
    const tf = await import("@tensorflow/tfjs");
    await tf.setBackend("cpu");
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 1, max: 23 }),
        fc.boolean(),
        fc.integer(),
        async (w, h, ow, oh, alignCorners, seed) => {
          if (alignCorners && (ow === 1 || oh === 1)) return true; // TF and PyTorch differ on 1-pixel outputs
          let s = seed >>> 0;
          const data = Float32Array.from({ length: w * h }, () => {
            s = (s * 1664525 + 1013904223) >>> 0;
            return s / 2 ** 31 - 1;
          });
          const ours = resizeFloatBilinear(data, w, h, ow, oh, alignCorners);
          const input = tf.tensor3d(data, [h, w, 1]);
          const theirs = tf.image.resizeBilinear(input, [oh, ow], alignCorners, !alignCorners);
          const ref = (await theirs.data()) as Float32Array;
          input.dispose();
          theirs.dispose();
          return ours.every((v, i) => Math.abs(v - ref[i]) < 1e-5);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("resizePlaneNearest", () => {
  it("repeats each value over its block when upscaling by an integer factor, and undoes it", () => {
    const labels = Uint8Array.from([0, 1, 255, 7]);
    const up = resizePlaneNearest(labels, 2, 2, 6, 4);
    expect(up).toBeInstanceOf(Uint8Array);
    expect(Array.from(up)).toEqual([
      0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 255, 255, 255, 7, 7, 7, 255, 255, 255, 7, 7, 7,
    ]);
    expect(Array.from(resizePlaneNearest(up, 6, 4, 2, 2))).toEqual([0, 1, 255, 7]);
  });

  it("keeps float maps float and takes only values present in the input", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        (w, h, ow, oh) => {
          const data = Float32Array.from({ length: w * h }, (_, i) => i / 7);
          const out = resizePlaneNearest(data, w, h, ow, oh);
          expect(out).toBeInstanceOf(Float32Array);
          expect(out.length).toBe(ow * oh);
          const present = new Set(data);
          for (const v of out) expect(present.has(v)).toBe(true);
        },
      ),
    );
  });

  it("refuses a map whose length does not match its size", () => {
    expect(() => resizePlaneNearest(new Uint8Array(5), 2, 2, 4, 4)).toThrow(/expected 2x2/);
  });
});
