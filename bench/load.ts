/**
 * The API load benchmark: start the local stack (emulator, API process, worker processes), drive
 * POST /v1/segment with a small generated PNG (multipart) through autocannon on loopback for a fixed
 * duration and concurrency, then wait for the workers to drain the queue and check that every job
 * the API accepted was completed (and metered: one usage record each).
 *
 *   npm exec -- node bench/load.ts [--duration 10] [--connections 8] [--workers 2] [--quick]
 *     [--out docs/benchmarks/load.md | --no-write]
 *
 * `runLoadBench(options)` is the same run as a function (bench/run.ts calls it for `npm run bench`).
 * Requests are anonymous (ALIGNSAM_ANONYMOUS_TENANT) with the rate limit lifted, so the numbers are
 * the API's and the emulator's, not the limiter's.
 */

import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { emulatorClients, type LocalStack, startLocalStack } from "../infra/local/stack.ts";
import { listKeys, makePng, multipartBody, postOnce, queueDepth, readStates } from "./load-probe.ts";
import { type LoadBenchResult, renderLoadMarkdown } from "./load-render.ts";

export { type LoadBenchResult, renderLoadMarkdown } from "./load-render.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const TENANT = "loadbench";

export interface LoadBenchOptions {
  /** Seconds autocannon drives the API. @default 10 (quick: 4) */
  readonly durationSeconds?: number;
  /** Concurrent connections. @default 8 (quick: 4) */
  readonly connections?: number;
  /** Worker processes draining the queue. @default 2 */
  readonly workers?: number;
  /** Side of the generated square PNG, pixels. @default 64 */
  readonly imageSize?: number;
  /** Give up waiting for the drain after this many seconds. @default 900 */
  readonly drainTimeoutSeconds?: number;
  /** Shorter defaults, for `npm run bench -- --quick`. */
  readonly quick?: boolean;
  /** Write the Markdown page here; false: do not write. @default false (the CLI writes docs/benchmarks/load.md) */
  readonly write?: string | false;
  /** Progress lines. @default stderr */
  readonly progress?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run the benchmark on a fresh in-memory local stack and return its measurements; the stack is
 * stopped whatever happens. Throws when the stack cannot start or the drain times out.
 *
 * @example
 * const result = await runLoadBench({ quick: true });
 * console.log(result.api.requestsPerSecond, result.jobs.acceptedEqualsCompleted);
 */
export async function runLoadBench(options: LoadBenchOptions = {}): Promise<LoadBenchResult> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`[load] ${line}\n`));
  const durationSeconds = options.durationSeconds ?? (options.quick ? 4 : 10);
  const connections = options.connections ?? (options.quick ? 4 : 8);
  const workers = options.workers ?? 2;
  const imageSize = options.imageSize ?? 64;
  const command = `npm exec -- node bench/load.ts --duration ${durationSeconds} --connections ${connections} --workers ${workers}`;
  const stackLog: string[] = [];
  const loadAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
  progress(`starting the local stack (${workers} workers)`);
  const stack: LocalStack = await startLocalStack({
    emulatorPort: 0,
    apiPort: 0,
    workers,
    bucket: "alignsam-load",
    log: (line) => stackLog.push(line),
    apiEnv: {
      ALIGNSAM_ANONYMOUS_TENANT: TENANT,
      ALIGNSAM_RATE_LIMIT_PER_MINUTE: "1000000000",
      ALIGNSAM_LOG_LEVEL: "warn",
    },
    workerEnv: { ALIGNSAM_WAIT_TIME_SECONDS: "1" },
  });
  const { s3, sqs } = emulatorClients(stack);
  try {
    const apiUrl = stack.apiUrl!;
    const png = await makePng(imageSize);
    const { body, contentType } = await multipartBody(png);
    const jobsPrefix = `tenants/${TENANT}/jobs/`;
    const statusKeys = async () =>
      (await listKeys(s3, stack.bucket, jobsPrefix)).filter((k) => k.endsWith("/status.json"));

    // Warm-up, not counted: one job per worker loads the policy and JIT-compiles the pipeline.
    progress("warm-up");
    const warm = await Promise.all(
      Array.from({ length: workers }, () => postOnce(apiUrl, body, contentType)),
    );
    for (const deadline = Date.now() + 120_000; (await queueDepth(sqs, stack.queueUrl)) > 0; ) {
      if (Date.now() > deadline) throw new Error("warm-up jobs did not finish within 120 s");
      await sleep(250);
    }
    const warmKeys = new Set((await statusKeys()).filter((k) => warm.some((id) => k.includes(`/${id}/`))));

    progress(`autocannon: ${connections} connections for ${durationSeconds} s`);
    const loadStart = performance.now();
    const result = await autocannon({
      url: `${apiUrl}/v1/segment`,
      method: "POST",
      headers: { "content-type": contentType },
      body,
      connections,
      duration: durationSeconds,
    });
    const loadEnd = performance.now();

    progress("waiting for the workers to drain the queue");
    const drainDeadline = Date.now() + (options.drainTimeoutSeconds ?? 900) * 1000;
    for (;;) {
      const depth = await queueDepth(sqs, stack.queueUrl);
      if (depth === 0) break;
      if (Date.now() > drainDeadline) throw new Error(`the queue still holds ${depth} messages`);
      await sleep(500);
    }
    let states: string[] = [];
    let loadKeys: string[] = [];
    for (;;) {
      loadKeys = (await statusKeys()).filter((k) => !warmKeys.has(k));
      states = await readStates(s3, stack.bucket, loadKeys);
      if (states.every((s) => s === "succeeded" || s === "failed")) break;
      if (Date.now() > drainDeadline) throw new Error("some jobs never reached a terminal state");
      await sleep(500);
    }
    const drainEnd = performance.now();
    const usageKeys = (await listKeys(s3, stack.bucket, `tenants/${TENANT}/usage/`)).filter(
      (k) => k.endsWith("/segment.json") && !warm.some((id) => k.includes(`/${id}/`)),
    );

    const codes: Record<string, number> = {};
    for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
      codes[code] = (stats as { count: number }).count;
    }
    const accepted = codes["202"] ?? 0;
    const succeeded = states.filter((s) => s === "succeeded").length;
    const out: LoadBenchResult = {
      command,
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        loadAverageAtStart: loadAtStart,
        loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
      },
      settings: { durationSeconds, connections, workers, imageBytes: png.length, imageSize },
      api: {
        requests: result.requests.total,
        requestsPerSecond: Math.round(result.requests.average * 10) / 10,
        latencyMs: {
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
        },
        status2xx: result["2xx"],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes: codes,
      },
      jobs: {
        accepted,
        statusDocuments: loadKeys.length,
        succeeded,
        failed: states.length - succeeded,
        usageRecords: usageKeys.length,
        drainSeconds: Math.round((drainEnd - loadEnd) / 100) / 10,
        jobsPerSecond: Math.round((succeeded / ((drainEnd - loadStart) / 1000)) * 10) / 10,
        acceptedEqualsCompleted:
          succeeded === loadKeys.length &&
          usageKeys.length === loadKeys.length &&
          accepted <= loadKeys.length &&
          loadKeys.length <= accepted + connections,
      },
    };
    if (options.write) {
      await writeFile(options.write, renderLoadMarkdown(out));
      progress(`wrote ${options.write}`);
    }
    return out;
  } catch (e) {
    process.stderr.write(`${stackLog.slice(-40).join("\n")}\n`);
    throw e;
  } finally {
    s3.destroy();
    sqs.destroy();
    await stack.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      workers: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: resolve(ROOT, "docs/benchmarks/load.md") },
      "no-write": { type: "boolean", default: false },
    },
  });
  const result = await runLoadBench({
    durationSeconds: values.duration ? Number(values.duration) : undefined,
    connections: values.connections ? Number(values.connections) : undefined,
    workers: values.workers ? Number(values.workers) : undefined,
    quick: values.quick,
    write: values["no-write"] ? false : values.out,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!result.jobs.acceptedEqualsCompleted) process.exitCode = 1;
}
