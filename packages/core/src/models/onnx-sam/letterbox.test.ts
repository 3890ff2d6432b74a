import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fromModelCoords,
  letterboxForSam,
  letterboxGeometry,
  SAM_PIXEL_MEAN,
  SAM_PIXEL_STD,
  samResizeShape,
  toModelCoords,
} from "./letterbox.ts";

describe("samResizeShape", () => {
  it("scales the longest side to 1024 and rounds half up like ResizeLongestSide", () => {
    expect(samResizeShape(480, 640)).toMatchObject({ height: 768, width: 1024 });
    expect(samResizeShape(1000, 333)).toMatchObject({ height: 1024, width: 341 }); // 340.99 -> 341
    expect(samResizeShape(2, 1)).toMatchObject({ height: 1024, width: 512 });
    expect(samResizeShape(3, 1)).toMatchObject({ height: 1024, width: 341 }); // 341.33 -> 341
    expect(samResizeShape(3, 2)).toMatchObject({ height: 1024, width: 683 }); // 682.67 -> 683
    expect(samResizeShape(100, 200, 512)).toMatchObject({ height: 256, width: 512, scale: 2.56 });
    expect(samResizeShape(5000, 1)).toMatchObject({ height: 1024, width: 1 }); // never 0 pixels
  });
});

describe("letterboxForSam", () => {
  it("normalises each channel with SAM's mean/std and pads bottom-right with zeros after normalising", async () => {
    const [w, h] = [200, 100];
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) data.set([10, 128, 250], i * 3);
    const { tensor, geometry } = await letterboxForSam({ width: w, height: h, data });
    expect(geometry).toEqual({
      origH: 100,
      origW: 200,
      resizedH: 512,
      resizedW: 1024,
      scale: 5.12,
      size: 1024,
    });
    expect(tensor.length).toBe(3 * 1024 * 1024);
    [10, 128, 250].forEach((v, c) => {
      const plane = c * 1024 * 1024;
      const expected = (v - SAM_PIXEL_MEAN[c]) / SAM_PIXEL_STD[c];
      expect(tensor[plane]).toBeCloseTo(expected, 5);
      expect(tensor[plane + 511 * 1024 + 1023]).toBeCloseTo(expected, 5); // last resized pixel
      expect(tensor[plane + 512 * 1024]).toBe(0); // first padding row
      expect(tensor[plane + 1023 * 1024 + 5]).toBe(0);
    });
  });

  it("keeps pixel positions: an image already 1024 wide is copied, not resampled", async () => {
    const [w, h] = [1024, 300];
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(y * w + x) * 3] = (x + 3 * y) % 256;
    const { tensor, geometry } = await letterboxForSam({ width: w, height: h, data });
    expect([geometry.resizedW, geometry.resizedH]).toEqual([1024, 300]);
    for (const [x, y] of [
      [0, 0],
      [1023, 0],
      [517, 211],
      [3, 299],
    ]) {
      expect(tensor[y * 1024 + x]).toBeCloseTo(
        (((x + 3 * y) % 256) - SAM_PIXEL_MEAN[0]) / SAM_PIXEL_STD[0],
        5,
      );
    }
  });

  it("honours a custom size, mean and std", async () => {
    const data = new Uint8Array(4 * 2 * 3).fill(100);
    const { tensor, geometry } = await letterboxForSam(
      { width: 4, height: 2, data },
      { size: 8, mean: [0, 50, 100], std: [1, 2, 4] },
    );
    expect([geometry.resizedW, geometry.resizedH]).toEqual([8, 4]);
    expect([tensor[0], tensor[64], tensor[128]]).toEqual([100, 25, 0]);
    expect(tensor[4 * 8]).toBe(0);
  });
});

describe("point coordinates", () => {
  it("scale x by newW/origW and y by newH/origH (apply_coords)", () => {
    const g = letterboxGeometry(640, 480);
    expect(toModelCoords([{ x: 100, y: 50 }], g)).toEqual([{ x: 160, y: 80 }]);
    const odd = letterboxGeometry(333, 1000);
    const [p] = toModelCoords([{ x: 333, y: 1000 }], odd);
    expect(p.x).toBeCloseTo(341, 9);
    expect(p.y).toBeCloseTo(1024, 9);
  });

  it("round-trips through the model frame for any image size and point", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (w, h, u, v) => {
          const g = letterboxGeometry(w, h);
          const p = { x: u * w, y: v * h };
          const [m] = toModelCoords([p], g);
          expect(m.x).toBeLessThanOrEqual(g.resizedW + 1e-6);
          expect(m.y).toBeLessThanOrEqual(g.resizedH + 1e-6);
          const [back] = fromModelCoords([m], g);
          expect(back.x).toBeCloseTo(p.x, 6);
          expect(back.y).toBeCloseTo(p.y, 6);
        },
      ),
    );
  });
});
