// Baseline copy of probabilityFromLowRes from packages/core/src/pipeline/frame.ts as of commit
// 6c2edd3 (before the performance work), kept callable so bench/run.ts can time old and new paths
// in one run and check they agree. Not used by the product.
import type { ContentRegion } from "../../src/agent/state.ts";
import type { ProbabilityMask } from "../../src/mask/types.ts";

/** sigmoid(low-res logits) read back at every image pixel (nearest), the output probability map. */
export function probabilityFromLowRes(
  logits: Float32Array,
  size: number,
  region: ContentRegion,
  width: number,
  height: number,
): ProbabilityMask {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const ly = Math.min(size - 1, Math.floor(((y + 0.5) / height) * region.fy * size));
    for (let x = 0; x < width; x++) {
      const lx = Math.min(size - 1, Math.floor(((x + 0.5) / width) * region.fx * size));
      data[y * width + x] = 1 / (1 + Math.exp(-logits[ly * size + lx]));
    }
  }
  return { width, height, data };
}
