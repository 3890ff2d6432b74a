/**
 * Before/after rows for the smaller changes, each measured in one run on the same inputs:
 * - the output probability map (pipeline/frame.ts): sigmoid per low-res cell instead of per pixel;
 * - the ONNX SAM adapter's masks: thresholded (or upscaled) on first read instead of for every
 *   candidate of every decode. "Before" is a decode whose masks are all read, which is the work the
 *   eager adapter did; "after" is a decode as an episode consumes it (best candidate's logits).
 */
import { FULL_FRAME } from "../../packages/core/src/agent/state.ts";
import type { DecodePrompt, Embedding, PromptableSegmenter } from "../../packages/core/src/models/ports.ts";
import { probabilityFromLowRes } from "../../packages/core/src/pipeline/frame.ts";
import { loadBaseline } from "./baseline.ts";

export interface MicroRow {
  readonly name: string;
  readonly beforeMs: number[];
  readonly afterMs: number[];
  /** Largest |difference| between the two outputs (NaN where outputs are not comparable). */
  readonly maxDiff: number;
}

function timed(fn: () => void, into: number[]): void {
  const t0 = performance.now();
  fn();
  into.push(performance.now() - t0);
}

/** Old and new probability map for a 256 x 256 logit grid read back at each image size. */
export async function compareProbabilityMap(
  sizes: readonly [number, number][],
  repeats: number,
): Promise<MicroRow[]> {
  const baselineProbability = (await loadBaseline()).probabilityFromLowRes;
  const logits = Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i / 97) * 8);
  return sizes.map(([w, h]) => {
    const beforeMs: number[] = [];
    const afterMs: number[] = [];
    let maxDiff = 0;
    for (let r = 0; r < repeats + 1; r++) {
      let a: Float32Array | undefined;
      let b: Float32Array | undefined;
      const bm: number[] = [];
      const am: number[] = [];
      timed(() => {
        b = baselineProbability(logits, 256, FULL_FRAME, w, h).data;
      }, bm);
      timed(() => {
        a = probabilityFromLowRes(logits, 256, FULL_FRAME, w, h).data;
      }, am);
      if (r > 0) {
        beforeMs.push(...bm);
        afterMs.push(...am);
      }
      for (let i = 0; a && b && i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    return { name: `probability map ${w}x${h}`, beforeMs, afterMs, maxDiff };
  });
}

/** Decode cost with every mask read (the eager adapter) versus as an episode reads it. */
export async function compareLazyMasks(
  name: string,
  segmenter: PromptableSegmenter,
  embedding: Embedding,
  prompt: DecodePrompt,
  repeats: number,
): Promise<MicroRow> {
  const beforeMs: number[] = [];
  const afterMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t0 = performance.now();
    const eager = await segmenter.decode(embedding, prompt);
    for (const m of eager.masks) void m.data.length;
    beforeMs.push(performance.now() - t0);
    t0 = performance.now();
    const lazy = await segmenter.decode(embedding, prompt);
    const best = lazy.scores.indexOf(Math.max(...lazy.scores));
    void lazy.lowResLogits[best].length;
    afterMs.push(performance.now() - t0);
  }
  return { name, beforeMs, afterMs, maxDiff: Number.NaN };
}
