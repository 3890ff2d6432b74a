/**
 * Peak resident memory of the worker's segment path, in a process of its own: `npm run bench`
 * (bench/worker-memory.ts) and a test (../working-image.test.ts) run it as a child.
 *
 *   node packages/gpu-worker/src/testing/segment-memory-probe.ts '{"image":"big.png","jobs":2}'
 *
 * It builds what main.ts builds (codec settings, the core engine with the bundled policies, the
 * worker's image limits), stores results in the in-process S3 emulator, warms up on a small image
 * (policy and TensorFlow.js loaded), resets the kernel's peak (VmHWM, via /proc/self/clear_refs),
 * runs `jobs` segment jobs on the image at once through dispatch(), and prints one JSON line: the
 * resident set before, the peak during the jobs, and their wall time. Linux only (/proc).
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { configureImageCodec, encodeRgbPng } from "@alignsam/core/image";
import { defaultTaskRegistry, inputKey, JobStatusSchema, jobStatusKey } from "@alignsam/core/light";
import { z } from "zod";
import { type HandlerContext, jsonLogger } from "../context.ts";
import { createCoreEngine } from "../core-engine.ts";
import { dispatch } from "../dispatch.ts";
import { DEFAULT_IMAGE_LIMITS } from "../working-image.ts";
import { startTestEmulator } from "./emulator.ts";

const ArgsSchema = z.object({
  /** Path of the image every job segments. */
  image: z.string().min(1),
  /** Jobs in flight at once (the worker's ALIGNSAM_WORKER_CONCURRENCY). */
  jobs: z.int().min(1).max(10).default(1),
  maxPixels: z.int().positive().default(DEFAULT_IMAGE_LIMITS.maxPixels),
  maxLongSide: z.int().min(1).default(DEFAULT_IMAGE_LIMITS.maxLongSide),
});

export const ProbeResultSchema = z.object({
  jobs: z.int(),
  /** Resident set after the warm-up, before the jobs (MiB). */
  rssBeforeMiB: z.number(),
  /** Peak resident set while the jobs ran (MiB). */
  peakMiB: z.number(),
  /** Whether the peak was reset before the jobs (else it is the process's whole-life peak). */
  peakReset: z.boolean(),
  wallMs: z.number(),
  /** Final state of each job. */
  states: z.array(z.string()),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

/** VmRSS and VmHWM of this process, MiB. Synchronous: nothing runs between a reset and a read. */
function status(): { rssMiB: number; hwmMiB: number } {
  const text = readFileSync("/proc/self/status", "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(text)?.[1]) / 1024;
  return { rssMiB: kb("VmRSS"), hwmMiB: kb("VmHWM") };
}

async function main(): Promise<void> {
  const args = ArgsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  configureImageCodec({ concurrentJobs: args.jobs });
  const emu = await startTestEmulator();
  // No embedding cache: every job encodes, as N different images would.
  const engine = createCoreEngine({ embeddingCacheBytes: 0 });
  const ctx: HandlerContext = {
    storage: emu.storage,
    engine,
    tasks: defaultTaskRegistry,
    log: jsonLogger({}, () => {}),
    enqueue: async () => {},
    imageLimits: { maxPixels: args.maxPixels, maxLongSide: args.maxLongSide },
    now: () => new Date(),
  };
  const segment = (jobId: string, uploadId: string) =>
    JSON.stringify({ v: 1, type: "segment", jobId, task: "saliency", uploadId });
  const first = { receiveCount: 1, lastAttempt: false };

  const small = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(90) };
  small.data.fill(220, 64 * 16 * 3, 64 * 32 * 3);
  await emu.storage.putBytes(inputKey("public", "warm"), await encodeRgbPng(small), "image/png");
  await dispatch(ctx, segment("warm-up", "warm"), first);
  await emu.storage.putBytes(
    inputKey("public", "big"),
    new Uint8Array(await readFile(args.image)),
    "image/png",
  );

  (globalThis as { gc?: () => void }).gc?.();
  let peakReset = true;
  try {
    await writeFile("/proc/self/clear_refs", "5"); // resets VmHWM to the current VmRSS
  } catch {
    peakReset = false;
  }
  const before = status();
  const started = performance.now();
  const ids = Array.from({ length: args.jobs }, (_, i) => `job-${i}`);
  await Promise.all(ids.map((id) => dispatch(ctx, segment(id, "big"), first)));
  const wallMs = performance.now() - started;
  const after = status();
  const states = await Promise.all(
    ids.map(
      async (id) => (await emu.storage.getJson(jobStatusKey("public", id), JobStatusSchema))?.state ?? "?",
    ),
  );
  const result: ProbeResult = {
    jobs: args.jobs,
    rssBeforeMiB: before.rssMiB,
    peakMiB: after.hwmMiB,
    peakReset,
    wallMs,
    states,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await emu.close();
  process.exit(0);
}

if (import.meta.main) await main();
