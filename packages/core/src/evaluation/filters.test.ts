import { describe, expect, it } from "vitest";
import { createRgbImage } from "../image/types.ts";
import { gaussianBlur, gaussianKernel, laplacian, otsuThreshold, toGrey } from "./filters.ts";

describe("otsuThreshold", () => {
  it("splits a bimodal histogram between its two modes", () => {
    const values: number[] = [];
    for (let i = 0; i < 600; i++) values.push(40 + (i % 21) - 10);
    for (let i = 0; i < 400; i++) values.push(200 + (i % 31) - 15);
    const t = otsuThreshold(values);
    expect(t).toBeGreaterThan(50);
    expect(t).toBeLessThanOrEqual(185);
    expect(values.filter((v) => v < t)).toHaveLength(600);
  });

  it("works in the data's own units, not 0..255", () => {
    const values = [0.001, 0.002, 0.0015, 0.009, 0.0095, 0.01];
    const t = otsuThreshold(values);
    expect(values.filter((v) => v < t)).toEqual([0.001, 0.002, 0.0015]);
  });

  it("puts nothing below the threshold of a constant input", () => {
    const values = new Float32Array(10).fill(3);
    expect(Array.from(values).filter((v) => v < otsuThreshold(values))).toHaveLength(0);
  });
});

describe("gaussianBlur", () => {
  it("has a normalised kernel of radius ceil(3 sigma)", () => {
    const k = gaussianKernel(2);
    expect(k.length).toBe(13);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(k[6]).toBeGreaterThan(k[5]);
  });

  it("keeps a constant image constant, borders included", () => {
    const img = { width: 9, height: 7, data: new Float32Array(63).fill(5) };
    const out = gaussianBlur(img, 3);
    for (const v of out.data) expect(v).toBeCloseTo(5, 4);
  });

  it("spreads an interior impulse without losing its mass", () => {
    const img = { width: 41, height: 41, data: new Float32Array(41 * 41) };
    img.data[20 * 41 + 20] = 1;
    const out = gaussianBlur(img, 2);
    expect(out.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(out.data[20 * 41 + 20]).toBeCloseTo(1 / (2 * Math.PI * 4), 2);
  });

  it("refuses a non-positive sigma", () => {
    expect(() => gaussianKernel(0)).toThrow(RangeError);
  });
});

describe("laplacian", () => {
  it("is zero on a linear ramp's interior and non-zero at a step", () => {
    const w = 8;
    const ramp = { width: w, height: 4, data: Float32Array.from({ length: w * 4 }, (_, i) => 3 * (i % w)) };
    const lap = laplacian(ramp);
    for (let y = 0; y < 4; y++) for (let x = 1; x < w - 1; x++) expect(lap.data[y * w + x]).toBeCloseTo(0, 5);
    const step = {
      width: w,
      height: 4,
      data: Float32Array.from({ length: w * 4 }, (_, i) => (i % w < 4 ? 0 : 10)),
    };
    expect(Math.abs(laplacian(step).data[3])).toBe(10);
  });
});

describe("toGrey", () => {
  it("uses BT.601 luma weights", () => {
    const img = createRgbImage(3, 1, Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
    const g = toGrey(img).data;
    expect(g[0]).toBeCloseTo(76.245, 3);
    expect(g[1]).toBeCloseTo(149.685, 3);
    expect(g[2]).toBeCloseTo(29.07, 3);
  });
});
