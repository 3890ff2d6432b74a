/**
 * The overlay result: the image with the mask tinted and the clicks marked (green positive, red
 * negative), so a person can judge a segmentation at a glance.
 */
import type { BinaryMask, RgbImage } from "./core.ts";
import type { TrajectoryStep } from "./engine.ts";

const TINT: readonly [number, number, number] = [30, 144, 255];
const POSITIVE: readonly [number, number, number] = [0, 220, 0];
const NEGATIVE: readonly [number, number, number] = [230, 0, 0];

/** A new RGB image: mask pixels blended 50% with the tint, each click a small filled square. */
export function renderOverlay(
  image: RgbImage,
  mask: BinaryMask,
  trajectory: readonly TrajectoryStep[],
): RgbImage {
  const out = new Uint8Array(image.data);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    if (!mask.data[i]) continue;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = (out[i * 3 + c] + TINT[c]) >> 1;
  }
  const r = Math.max(2, Math.round(Math.min(image.width, image.height) / 100));
  for (const step of trajectory) {
    const colour = step.label === 1 ? POSITIVE : NEGATIVE;
    const cx = Math.round(step.x);
    const cy = Math.round(step.y);
    for (let y = Math.max(0, cy - r); y <= Math.min(image.height - 1, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x <= Math.min(image.width - 1, cx + r); x++) {
        const o = (y * image.width + x) * 3;
        out[o] = colour[0];
        out[o + 1] = colour[1];
        out[o + 2] = colour[2];
      }
    }
  }
  return { width: image.width, height: image.height, data: out };
}
