/**
 * Process-wide libvips settings for a long-running process that decodes untrusted images (the
 * worker). sharp's defaults suit a web server resizing the same files again and again; a job queue
 * sees every image once, so the operation cache only holds memory, and N jobs decoding at once each
 * with a thread per core oversubscribe the CPU and multiply libvips' per-thread buffers.
 */
import { availableParallelism } from "node:os";
import sharp from "sharp";
import { AlignSamError } from "../errors.ts";

export interface ImageCodecSettings {
  /** Jobs that may decode at once in this process; libvips gets cores / jobs threads each. */
  readonly concurrentJobs: number;
}

/**
 * Turns sharp's operation cache off and splits the cores between concurrent jobs. Call once at
 * process start; returns the thread count set, for the start-up log.
 * @example
 * configureImageCodec({ concurrentJobs: config.concurrency });
 */
export function configureImageCodec(settings: ImageCodecSettings): { threads: number } {
  const jobs = settings.concurrentJobs;
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new AlignSamError("INVALID_ARGUMENT", `concurrentJobs must be a positive integer, got ${jobs}`);
  }
  sharp.cache(false);
  const threads = Math.max(1, Math.floor(availableParallelism() / jobs));
  sharp.concurrency(threads);
  return { threads };
}
