import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createRgbImage } from "../image/types.ts";
import {
  MARKER_OUTLINE_COLOR,
  NEGATIVE_MARKER_COLOR,
  POSITIVE_MARKER_COLOR,
  renderOverlay,
} from "./overlay.ts";
import type { BinaryMask } from "./types.ts";

function scene(width: number, height: number, rect: [number, number, number, number]) {
  const image = createRgbImage(width, height, new Uint8Array(width * height * 3).fill(100));
  const mask: BinaryMask = { width, height, data: new Uint8Array(width * height) };
  const [x0, y0, x1, y1] = rect;
  for (let y = y0; y < y1; y++) mask.data.fill(1, y * width + x0, y * width + x1);
  return { image, mask };
}

async function pixels(png: Uint8Array) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return {
    info,
    at: (x: number, y: number) =>
      Array.from(
        data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
      ),
  };
}

describe("renderOverlay", () => {
  it("tints the mask, draws its contour and marks + and − points where expected", async () => {
    const { image, mask } = scene(100, 80, [20, 10, 60, 50]);
    const png = await renderOverlay(image, mask, [
      { x: 70.4, y: 65.9, label: 1 },
      { x: 10, y: 70, label: 0 },
    ]);
    const { info, at } = await pixels(png);
    expect([info.format, info.width, info.height]).toEqual(["raw", 100, 80]);
    expect(at(5, 5)).toEqual([100, 100, 100]); // outside everything: untouched
    expect(at(40, 30)).toEqual([65, 122, 178]); // interior: 0.5 * 100 + 0.5 * [30, 144, 255], rounded
    expect(at(20, 30)).toEqual([30, 144, 255]); // left edge: contour in the tint colour
    expect(at(59, 49)).toEqual([30, 144, 255]); // bottom-right corner pixel: contour
    expect(at(19, 30)).toEqual([100, 100, 100]); // just outside the mask
    // Positive at pixel (70, 65); radius max(3, round(80 / 40)) = 3, arm half-thickness 1, outline 1.
    const green = [...POSITIVE_MARKER_COLOR];
    const dark = [...MARKER_OUTLINE_COLOR];
    expect(at(70, 65)).toEqual(green);
    expect(at(73, 65)).toEqual(green); // end of the horizontal arm
    expect(at(70, 62)).toEqual(green); // end of the vertical arm
    expect(at(74, 65)).toEqual(dark); // outline beyond the arm
    expect(at(70, 61)).toEqual(dark);
    expect(at(73, 68)).toEqual([100, 100, 100]); // between the arms
    // Negative at (10, 70): a horizontal bar only.
    const red = [...NEGATIVE_MARKER_COLOR];
    expect(at(10, 70)).toEqual(red);
    expect(at(13, 70)).toEqual(red);
    expect(at(14, 70)).toEqual(dark);
    expect(at(10, 67)).toEqual([100, 100, 100]); // no vertical arm
  });

  it("scales markers and contour with the image", async () => {
    const { image, mask } = scene(800, 600, [100, 100, 400, 400]);
    const { at } = await pixels(await renderOverlay(image, mask, [{ x: 600, y: 500, label: 1 }]));
    // radius round(600 / 40) = 15, half-thickness round(15 / 4) = 4, outline 2; contour round(800 / 250) = 3
    expect(at(615, 500)).toEqual([...POSITIVE_MARKER_COLOR]);
    expect(at(617, 500)).toEqual([...MARKER_OUTLINE_COLOR]);
    expect(at(618, 500)).toEqual([100, 100, 100]);
    expect(at(604, 500 - 15)).toEqual([...POSITIVE_MARKER_COLOR]);
    expect(at(99, 200)).toEqual([30, 144, 255]); // 3-pixel contour reaches one pixel outside
    expect(at(101, 200)).toEqual([30, 144, 255]);
    expect(at(102, 200)).toEqual([65, 122, 178]);
  });

  it("honours colour, opacity and no contour", async () => {
    const { image, mask } = scene(10, 10, [2, 2, 8, 8]);
    const png = await renderOverlay(image, mask, [], { color: [200, 0, 0], opacity: 1, contourColor: null });
    const { at } = await pixels(png);
    expect(at(2, 2)).toEqual([200, 0, 0]);
    expect(at(1, 1)).toEqual([100, 100, 100]);
  });

  it("refuses a mask of another size and invalid options", async () => {
    const { image } = scene(10, 10, [0, 0, 1, 1]);
    const { mask } = scene(9, 10, [0, 0, 1, 1]);
    await expect(renderOverlay(image, mask)).rejects.toThrow(expect.objectContaining({ code: "MASK_SHAPE" }));
    const ok = scene(10, 10, [0, 0, 1, 1]);
    await expect(renderOverlay(ok.image, ok.mask, [], { opacity: 2 })).rejects.toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
