import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../models/ports.ts";
import { inferContentRegion, probabilityFromLowRes } from "./frame.ts";

/** A decode result whose mask is the left half of a 200 x 100 image, low-res frame laid out as asked. */
function halfMask(letterbox: boolean): DecodeResult {
  const w = 200;
  const h = 100;
  const size = 16;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w / 2; x++) mask[y * w + x] = 1;
  const logits = new Float32Array(size * size).fill(-5);
  for (let ly = 0; ly < size; ly++) {
    for (let lx = 0; lx < size; lx++) {
      // letterbox: image occupies rows [0, 8) and is foreground for lx < 8; stretch: lx < 8 everywhere.
      if (lx < 8 && (!letterbox || ly < 8)) logits[ly * size + lx] = 5;
    }
  }
  return {
    masks: [{ width: w, height: h, data: mask }],
    scores: [1],
    lowResLogits: [logits],
    lowResSize: size,
  };
}

describe("content region", () => {
  it("recognises a letterboxed low-res frame", () => {
    const r = inferContentRegion(halfMask(true), 200, 100);
    expect(r).toEqual({ fx: 1, fy: 0.5 });
  });

  it("recognises a stretched low-res frame", () => {
    expect(inferContentRegion(halfMask(false), 200, 100)).toEqual({ fx: 1, fy: 1 });
  });

  it("reads probabilities back at image pixels through the region", () => {
    const res = halfMask(true);
    const p = probabilityFromLowRes(res.lowResLogits[0], 16, { fx: 1, fy: 0.5 }, 200, 100);
    expect(p.data[50 * 200 + 10]).toBeGreaterThan(0.99);
    expect(p.data[50 * 200 + 190]).toBeLessThan(0.01);
  });
});
