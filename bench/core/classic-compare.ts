/**
 * Old versus new classic backend on the same images, in one process: the baseline (commit 6c2edd3,
 * read from git by ./baseline.ts) and the current src/models/classic. Times encode and decode of both
 * and checks that the optimised path returns the same embeddings, scores, logits and masks (the
 * optimisations are meant to be exact, so any difference is reported, not hidden).
 */
import type { RgbImage } from "../../packages/core/src/image/types.ts";
import { createClassicSegmenter } from "../../packages/core/src/models/classic/index.ts";
import type {
  DecodePrompt,
  DecodeResult,
  Embedding,
  PromptableSegmenter,
} from "../../packages/core/src/models/ports.ts";
import { loadBaseline } from "./baseline.ts";

export interface CompareTimings {
  /** Per-call wall times (ms). */
  readonly encodeMs: number[];
  readonly decodeMs: number[];
  /** Per-call CPU time of this process (ms, user + system): steadier than wall on a busy machine. */
  readonly encodeCpuMs: number[];
  readonly decodeCpuMs: number[];
}

export interface ClassicComparison {
  readonly before: CompareTimings;
  readonly after: CompareTimings;
  /** Largest absolute difference over embeddings, scores and low-res logits; masks differing pixels. */
  readonly maxEmbeddingDiff: number;
  readonly maxScoreDiff: number;
  readonly maxLogitDiff: number;
  readonly maskPixelsDiffering: number;
  readonly decodes: number;
}

/** Prompts of 1..clicks points on a deterministic lattice, alternating labels (as late in an episode). */
export function latticePrompts(width: number, height: number, clicks: number): DecodePrompt[] {
  const prompts: DecodePrompt[] = [];
  const points: { x: number; y: number }[] = [];
  const labels: (0 | 1)[] = [];
  for (let k = 0; k < clicks; k++) {
    points.push({ x: (((k * 0.37) % 1) * 0.8 + 0.1) * width, y: (((k * 0.53) % 1) * 0.8 + 0.1) * height });
    labels.push(k % 3 === 2 ? 0 : 1);
    prompts.push({ points: [...points], labels: [...labels] });
  }
  return prompts;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A decode as the environment consumes it: the best candidate's low-res logits are read each step. */
async function decodeAsUsed(
  segmenter: PromptableSegmenter,
  embedding: Embedding,
  prompt: DecodePrompt,
): Promise<DecodeResult> {
  const result = await segmenter.decode(embedding, prompt);
  const best = result.scores.indexOf(Math.max(...result.scores));
  void result.lowResLogits[best].length;
  return result;
}

async function timeOne<T>(fn: () => Promise<T>, wall: number[], cpu: number[]): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  return out;
}

/**
 * Encode each image `repeats` times and decode `clicks` growing prompts on it, with both backends,
 * interleaved so machine load hits both alike.
 */
export async function compareClassic(
  images: readonly RgbImage[],
  options: { repeats?: number; clicks?: number } = {},
): Promise<ClassicComparison> {
  const repeats = options.repeats ?? 2;
  const clicks = options.clicks ?? 16;
  const before: PromptableSegmenter = (await loadBaseline()).createClassicSegmenter();
  const after: PromptableSegmenter = createClassicSegmenter();
  const tb: CompareTimings = { encodeMs: [], decodeMs: [], encodeCpuMs: [], decodeCpuMs: [] };
  const ta: CompareTimings = { encodeMs: [], decodeMs: [], encodeCpuMs: [], decodeCpuMs: [] };
  let maxEmbeddingDiff = 0;
  let maxScoreDiff = 0;
  let maxLogitDiff = 0;
  let maskPixelsDiffering = 0;
  let decodes = 0;
  // Warm both (JIT) on the first image.
  await before.decode(
    await before.encode(images[0]),
    latticePrompts(images[0].width, images[0].height, 1)[0],
  );
  await after.decode(await after.encode(images[0]), latticePrompts(images[0].width, images[0].height, 1)[0]);
  for (const image of images) {
    let eb: Embedding | undefined;
    let ea: Embedding | undefined;
    for (let r = 0; r < repeats; r++) {
      eb = await timeOne(() => before.encode(image), tb.encodeMs, tb.encodeCpuMs);
      ea = await timeOne(() => after.encode(image), ta.encodeMs, ta.encodeCpuMs);
    }
    if (!eb || !ea) continue;
    maxEmbeddingDiff = Math.max(maxEmbeddingDiff, maxDiff(eb.data, ea.data));
    for (const prompt of latticePrompts(image.width, image.height, clicks)) {
      const rb: DecodeResult = await timeOne(
        () => decodeAsUsed(before, eb, prompt),
        tb.decodeMs,
        tb.decodeCpuMs,
      );
      const ra: DecodeResult = await timeOne(
        () => decodeAsUsed(after, ea, prompt),
        ta.decodeMs,
        ta.decodeCpuMs,
      );
      decodes++;
      maxScoreDiff = Math.max(maxScoreDiff, maxDiff(rb.scores, ra.scores));
      rb.lowResLogits.forEach((l, k) => {
        maxLogitDiff = Math.max(maxLogitDiff, maxDiff(l, ra.lowResLogits[k]));
      });
      const best = rb.scores.indexOf(Math.max(...rb.scores));
      const mb = rb.masks[best].data;
      const ma = ra.masks[best].data;
      for (let i = 0; i < mb.length; i++) if (mb[i] !== ma[i]) maskPixelsDiffering++;
    }
  }
  return {
    before: tb,
    after: ta,
    maxEmbeddingDiff,
    maxScoreDiff,
    maxLogitDiff,
    maskPixelsDiffering,
    decodes,
  };
}
