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

/** The cell-by-cell loops the pooling used before it walked planes row by row: the reference. */
function referencePool(
  data: Float32Array,
  c: number,
  h: number,
  w: number,
  r: number,
  ch: number,
  cw: number,
  mask?: Float32Array,
): Float32Array {
  const range = (i: number, out: number, n: number) => {
    const lo = Math.floor((i * n) / out);
    const hi = Math.max(lo + 1, Math.floor(((i + 1) * n) / out));
    return [Math.min(lo, n - 1), Math.min(hi, n)];
  };
  const out = new Float32Array(r * r * c);
  for (let oy = 0; oy < r; oy++) {
    const [y0, y1] = range(oy, r, ch);
    for (let ox = 0; ox < r; ox++) {
      const [x0, x1] = range(ox, r, cw);
      const inv = 1 / ((y1 - y0) * (x1 - x0));
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++)
            s += mask ? data[k * h * w + y * w + x] * mask[y * w + x] : data[k * h * w + y * w + x];
        out[(oy * r + ox) * c + k] = s * inv;
      }
    }
  }
  return out;
}

describe("agent state, fast paths", () => {
  // Irregular sizes (13 x 11 over R = 4, a letterbox) so spans of unequal length and overlaps occur.
  const c = 3;
  const h = 13;
  const w = 11;
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const data = Float32Array.from({ length: c * h * w }, () => rand() * 4 - 2);
  const mask = Float32Array.from({ length: h * w }, () => rand());
  const emb: Embedding = {
    modelId: "t",
    channels: c,
    height: h,
    width: w,
    data,
    imageWidth: 1,
    imageHeight: 1,
  };
  const stats = { mean: [0, 0, 0], std: [1, 1, 1] };

  it("pools E * M and M bit-identically to the cell-by-cell loops, letterboxed or not", () => {
    for (const region of [
      { fx: 1, fy: 1 },
      { fx: 0.7, fy: 1 },
      { fx: 1, fy: 0.45 },
    ]) {
      const f = prepareImageFeatures(emb, stats, 4, region);
      const ch = Math.max(1, Math.round(region.fy * h));
      const cw = Math.max(1, Math.round(region.fx * w));
      const k = stateChannels(c);
      const state = buildState(f, mask);
      // Identity stats: E' is the embedding itself, held position-major.
      for (let p = 0; p < h * w; p++)
        for (let k = 0; k < c; k++) expect(f.normalizedHwc[p * c + k]).toBe(data[k * h * w + p]);
      const product = referencePool(data, c, h, w, 4, ch, cw, mask);
      const plain = referencePool(data, c, h, w, 4, ch, cw);
      const m = referencePool(mask, 1, h, w, 4, ch, cw);
      for (let p = 0; p < 16; p++) {
        expect(state.subarray(p * k, p * k + c)).toEqual(product.subarray(p * c, (p + 1) * c));
        expect(state.subarray(p * k + c, p * k + 2 * c)).toEqual(plain.subarray(p * c, (p + 1) * c));
        expect(state[p * k + 2 * c]).toBe(m[p]);
      }
    }
  });

  it("area-resizes low-res logits bit-identically to summing each sigmoid in place", () => {
    for (const [size, oh, ow] of [
      [16, 4, 4],
      [10, 4, 3],
      [6, 9, 7],
    ]) {
      const logits = Float32Array.from({ length: size * size }, () => rand() * 16 - 8);
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      const want = new Float32Array(oh * ow);
      for (let y = 0; y < oh; y++) {
        const y0 = Math.min(Math.floor((y * size) / oh), size - 1);
        const y1 = Math.min(Math.max(y0 + 1, Math.floor(((y + 1) * size) / oh)), size);
        for (let x = 0; x < ow; x++) {
          const x0 = Math.min(Math.floor((x * size) / ow), size - 1);
          const x1 = Math.min(Math.max(x0 + 1, Math.floor(((x + 1) * size) / ow)), size);
          let s = 0;
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += sig(logits[yy * size + xx]);
          want[y * ow + x] = s / ((y1 - y0) * (x1 - x0));
        }
      }
      expect(maskFromLowRes(logits, size, oh, ow)).toEqual(want);
    }
  });

  it("gives the same M through the per-episode sigmoid cache as without it, step after step", () => {
    const size = 16;
    const cache = {};
    let logits = Float32Array.from({ length: size * size }, () => rand() * 16 - 8);
    for (let step = 0; step < 4; step++) {
      // A click changes part of the logits: here every third one, and a NaN shows up once.
      const next = logits.map((v, i) => (i % 3 === step % 3 ? v + rand() - 0.5 : v));
      if (step === 2) next[5] = Number.NaN;
      logits = next;
      expect(maskFromLowRes(logits, size, 4, 4, cache)).toEqual(maskFromLowRes(logits, size, 4, 4));
    }
  });
});
