import { describe, expect, it } from "vitest";
import { renderOverlay } from "./overlay.ts";

describe("result overlay", () => {
  const image = { width: 20, height: 10, data: new Uint8Array(20 * 10 * 3).fill(100) };
  const mask = { width: 20, height: 10, data: new Uint8Array(200).map((_, i) => (i % 20 < 10 ? 1 : 0)) };

  it("tints mask pixels, leaves the rest, and marks clicks by label without touching the input", () => {
    const out = renderOverlay(image, mask, [
      { step: 0, x: 15, y: 5, label: 1 },
      { step: 1, x: 2, y: 2, label: 0 },
    ]);
    const px = (x: number, y: number) => [...out.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    expect(px(5, 8)).toEqual([(100 + 30) >> 1, (100 + 144) >> 1, (100 + 255) >> 1]);
    expect(px(19, 9)).toEqual([100, 100, 100]);
    expect(px(15, 5)).toEqual([0, 220, 0]);
    expect(px(2, 2)).toEqual([230, 0, 0]);
    expect(image.data.every((v) => v === 100)).toBe(true);
  });
});
