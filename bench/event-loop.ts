/**
 * How long the worker's event loop stays blocked while it segments an image: a 5 ms ticker records
 * the largest gap between its ticks while the engine segments. A gap longer than the heartbeat
 * interval is a missed heartbeat (and, in an API process, a stalled request). Three ways to run
 * it: everything on the main thread (before), a loop turn before each encode and decode, and that
 * plus the encoder on a worker thread (the worker's default now).
 */
import { defaultTaskRegistry } from "@alignsam/core/light";
import type { RgbImage } from "../packages/core/src/image/types.ts";
import {
  createClassicSegmenter,
  createThreadedClassicSegmenter,
} from "../packages/core/src/models/classic/index.ts";
import { createCoreEngine } from "../packages/gpu-worker/src/core-engine.ts";

/** How the engine runs the segmenter: the old path, turns only, turns plus a thread for encode. */
export const EVENT_LOOP_MODES = ["in-process", "turns", "turns+encode-thread"] as const;
export type EventLoopMode = (typeof EVENT_LOOP_MODES)[number];

export interface EventLoopResult {
  readonly mode: EventLoopMode;
  /** Largest gap between 5 ms ticks during each image's segmentation (ms). */
  readonly maxGapMs: number[];
  /** Wall time of each segmentation (ms). */
  readonly segmentMs: number[];
}

/** Segments each image with the bundled policy of `task`, measuring the longest event-loop stall. */
export async function measureEventLoop(
  images: readonly RgbImage[],
  task: string,
  mode: EventLoopMode,
): Promise<EventLoopResult> {
  const threaded = mode === "turns+encode-thread" ? createThreadedClassicSegmenter() : undefined;
  const engine = createCoreEngine({
    segmenter: threaded ?? createClassicSegmenter(),
    eventLoopTurns: mode !== "in-process",
  });
  const definition = defaultTaskRegistry.get(task);
  // Warm-up: policy load and JIT.
  await engine.segment({ task: definition, image: images[0], policy: null, greedy: true, seed: 0 });
  const maxGapMs: number[] = [];
  const segmentMs: number[] = [];
  for (const image of images) {
    let last = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    await engine.segment({ task: definition, image, policy: null, greedy: true, seed: 0 });
    segmentMs.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 10));
    clearInterval(ticker);
    maxGapMs.push(Math.max(maxGap, performance.now() - last));
  }
  await threaded?.dispose();
  return { mode, maxGapMs, segmentMs };
}
