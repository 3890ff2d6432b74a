import { describe, expect, it } from "vitest";
import { letterboxGeometry, thresholdLogits } from "./letterbox.ts";
import { postprocessLowRes } from "./postprocess.ts";

// Low-res logits -> a mask at the original size, through the adapter's post-processing.
const postprocessMasks = (low: Float32Array, size: number, g: ReturnType<typeof letterboxGeometry>) =>
  thresholdLogits(postprocessLowRes(low, size, g), g.origW, g.origH);

describe("postprocessMasks", () => {
  it("maps low-res logits back through the letterbox: the padding never reaches the original image", () => {
    // 400 x 100 image -> 1024 x 256 resized -> the top 64 of 256 low-res rows hold the image.
    const g = letterboxGeometry(400, 100);
    const low = new Float32Array(256 * 256).fill(-1);
    for (let y = 0; y < 256; y++) for (let x = 0; x < 128; x++) low[y * 256 + x] = 1; // left half, incl. padding rows
    const mask = postprocessMasks(low, 256, g);
    expect([mask.width, mask.height]).toEqual([400, 100]);
    let fg = 0;
    let wrong = 0;
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 400; x++) {
        const v = mask.data[y * 400 + x];
        fg += v;
        if ((x < 195 && v !== 1) || (x > 205 && v !== 0)) wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(fg).toBeGreaterThan(195 * 100);
    expect(fg).toBeLessThan(205 * 100);
  });

  it("thresholds strictly above 0 (SAM's mask_threshold)", () => {
    const g = letterboxGeometry(256, 256, 256);
    const mask = postprocessMasks(new Float32Array(256 * 256), 256, g);
    expect(mask.data.every((v) => v === 0)).toBe(true);
  });
});
