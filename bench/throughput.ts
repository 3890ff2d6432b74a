/**
 * Worker throughput through the real local stack: the fauxqs emulator, the API process and N worker
 * processes (infra/local/stack.ts). Segment jobs are posted to the API all at once and polled until
 * done; images/s is jobs over the wall time from the first POST to the last job finished. One job
 * per worker runs first, untimed, so policy loading and JIT warm-up are not counted. Worker memory
 * comes from /proc: resident set once idle with the policy loaded, and the kernel's peak.
 */
import { startLocalStack } from "../infra/local/stack.ts";
import { readProcCpuMs, readProcMemory } from "./memory.ts";

export interface ThroughputResult {
  readonly workers: number;
  /** Jobs each worker process runs at once (ALIGNSAM_WORKER_CONCURRENCY). */
  readonly concurrency: number;
  readonly jobs: number;
  readonly wallSeconds: number;
  readonly imagesPerSecond: number;
  /** Per-job latency from POST to a finished status (ms). */
  readonly latencyMs: number[];
  /** Worker CPU time (all workers, user + system) per timed image, ms: robust to machine load. */
  readonly workerCpuMsPerImage: number;
  /** Per worker: RSS before any job, RSS idle after the run, peak (VmHWM), MiB. */
  readonly memory: { startMiB: number; idleMiB: number; peakMiB: number }[];
}

/** An image file as a client uploads it. */
export interface UploadImage {
  readonly bytes: Uint8Array;
  /** File name; its extension sets the content type (.png, else JPEG). */
  readonly name: string;
}

async function postSegment(apiUrl: string, image: UploadImage, task: string): Promise<string> {
  const type = image.name.toLowerCase().endsWith(".png") ? "image/png" : "image/jpeg";
  for (let attempt = 0; ; attempt++) {
    const form = new FormData();
    form.set("image", new File([Buffer.from(image.bytes)], image.name, { type }));
    form.set("task", task);
    const res = await fetch(`${apiUrl}/v1/segment`, { method: "POST", body: form });
    if (res.status === 429 && attempt < 50) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (!res.ok) throw new Error(`POST /v1/segment answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { jobId: string }).jobId;
  }
}

async function waitDone(apiUrl: string, jobId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${apiUrl}/v1/jobs/${jobId}`);
    if (res.ok) {
      const body = (await res.json()) as { state: string; error?: unknown };
      if (body.state === "succeeded") return;
      if (body.state === "failed") throw new Error(`job ${jobId} failed: ${JSON.stringify(body.error)}`);
    } else if (res.status !== 404 && res.status !== 429) {
      throw new Error(`GET /v1/jobs/${jobId} answered ${res.status}`);
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} not done within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `jobs` segment jobs (cycling over `images`) through a stack of `workers` workers. */
export async function runThroughput(options: {
  workers: number;
  /** @default 1 */
  concurrency?: number;
  jobs: number;
  images: readonly UploadImage[];
  task: string;
  log?: (line: string) => void;
}): Promise<ThroughputResult> {
  const stack = await startLocalStack({
    emulatorPort: 0,
    apiPort: 0,
    workers: options.workers,
    log: options.log ?? (() => {}),
    workerEnv: {
      ALIGNSAM_WORKER_CONCURRENCY: String(options.concurrency ?? 1),
      ALIGNSAM_WAIT_TIME_SECONDS: "1",
    },
    // The benchmark's own polling must not be what limits it.
    apiEnv: { ALIGNSAM_RATE_LIMIT_PER_MINUTE: "1000000" },
  });
  try {
    const apiUrl = stack.apiUrl;
    if (!apiUrl) throw new Error("the local stack started without an API");
    const pids = stack.workers.map((w) => w.child.pid ?? -1);
    const start = pids.map((pid) => readProcMemory(pid)?.rssMiB ?? Number.NaN);
    const warm = await Promise.all(
      pids.map((_, k) => postSegment(apiUrl, options.images[k % options.images.length], options.task)),
    );
    await Promise.all(warm.map((id) => waitDone(apiUrl, id, 120_000)));
    const latencyMs: number[] = [];
    const cpu0 = pids.map((pid) => readProcCpuMs(pid) ?? Number.NaN);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: options.jobs }, async (_, k) => {
        const posted = performance.now();
        const id = await postSegment(apiUrl, options.images[k % options.images.length], options.task);
        await waitDone(apiUrl, id, 300_000);
        latencyMs.push(performance.now() - posted);
      }),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpuMs = pids.reduce((a, pid, k) => a + ((readProcCpuMs(pid) ?? Number.NaN) - cpu0[k]), 0);
    const memory = pids.map((pid, k) => {
      const m = readProcMemory(pid);
      return { startMiB: start[k], idleMiB: m?.rssMiB ?? Number.NaN, peakMiB: m?.hwmMiB ?? Number.NaN };
    });
    return {
      workers: options.workers,
      concurrency: options.concurrency ?? 1,
      jobs: options.jobs,
      wallSeconds,
      imagesPerSecond: options.jobs / wallSeconds,
      workerCpuMsPerImage: cpuMs / options.jobs,
      latencyMs,
      memory,
    };
  } finally {
    await stack.stop();
  }
}
