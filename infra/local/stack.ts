/**
 * The local stack: the fauxqs S3 + SQS emulator on loopback (in this process), the bucket, the jobs
 * queue with a redrive policy to its dead-letter queue, the API (when its Node entry exists) and N
 * worker processes, with prefixed logs. `npm start` runs it; the end-to-end tests start the same
 * thing on free ports. Same code paths as on AWS: only the endpoints differ.
 *
 * With `dataDir` the emulator (fauxqs 2.4, SQLite) keeps buckets, objects, queues and messages
 * across restarts, and the bucket and queues are created idempotently; without it, state is in
 * memory and a restart starts empty.
 *
 * Workers are supervised: one that dies of a signal or a non-zero exit is logged with how it died and
 * restarted with backoff, until it crashes more often than `restart` allows (crash-policy.ts). The API
 * and workers run with exit-with-parent.ts preloaded, so they never outlive the process that
 * started them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createS3Client } from "@alignsam/core/storage";
import type { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { INPUT_TTL_SECONDS_DEFAULT } from "../input-expiry.ts";
import { crashTracker, describeExit, type RestartPolicy } from "./crash-policy.ts";
import { startEmulator } from "./emulator.ts";
import { janitorIntervalMs, startInputJanitor } from "./input-janitor.ts";
import { ensureStackResources } from "./resources.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WORKER_ENTRY = resolve(REPO_ROOT, "packages/gpu-worker/src/main.ts");
const API_ENTRY = resolve(REPO_ROOT, "packages/api/src/entry/node.ts");
const EXIT_WITH_PARENT = pathToFileURL(resolve(REPO_ROOT, "infra/local/exit-with-parent.ts")).href;

/**
 * Tenant of API requests without an Authorization header on the local stack, so curl examples and
 * the playground work with no key (production leaves ALIGNSAM_ANONYMOUS_TENANT unset).
 */
export const LOCAL_ANONYMOUS_TENANT = "local";

/**
 * API requests per minute per key on the local stack: far above the service default (120), so
 * polling loops of tests and the playground are not throttled. ALIGNSAM_RATE_LIMIT_PER_MINUTE wins.
 */
const LOCAL_RATE_LIMIT_PER_MINUTE = "6000";

export interface LocalStackOptions {
  /** Emulator port; 0 picks a free one. @default 4566 */
  emulatorPort?: number;
  /** API port; 0 picks a free one. @default 3000 */
  apiPort?: number;
  /** Start the API (needs packages/api/src/entry/node.ts). @default true when the entry exists */
  api?: boolean;
  /** Worker processes to start. @default ALIGNSAM_WORKERS or 1 */
  workers?: number;
  /** @default "alignsam-local" */
  bucket?: string;
  /** @default "alignsam-jobs" (the DLQ is "<name>-dlq") */
  queueName?: string;
  /** Receives before a message moves to the DLQ. @default 3 */
  maxReceives?: number;
  /** The queue's default visibility timeout, seconds (workers set their own on receive). @default 60 */
  visibilityTimeoutSeconds?: number;
  /** Extra environment for worker processes (e.g. ALIGNSAM_HEARTBEAT_SECONDS). */
  workerEnv?: Record<string, string>;
  /** Extra environment for the API process. */
  apiEnv?: Record<string, string>;
  /**
   * ALIGNSAM_ANONYMOUS_TENANT of the API; "" makes every /v1 request need an API key.
   * @default ALIGNSAM_ANONYMOUS_TENANT, else LOCAL_ANONYMOUS_TENANT ("local")
   */
  anonymousTenant?: string;
  /** Where prefixed log lines go. @default process.stdout */
  log?: (line: string) => void;
  /** ms to wait for each child to report ready. @default 30000 */
  readyTimeoutMs?: number;
  /**
   * Folder where the emulator persists its state (SQLite); the same folder on the next start brings
   * the bucket, its objects, the queues and their messages back. @default in memory
   */
  dataDir?: string;
  /**
   * Restart workers that die of a signal or a non-zero exit (one that exits 0 stopped on purpose);
   * false: never. @default the crash-policy.ts defaults (5 restarts in 60 s, backoff from 500 ms)
   */
  restart?: RestartPolicy | false;
  /** Called when a worker crashed more often than `restart` allows and is left down. */
  onGiveUp?: (worker: string, reason: string) => void;
  /**
   * Uploaded inputs (`tenants/<t>/inputs/`) older than this are deleted by the janitor; 0: never.
   * @default 86400 (INPUT_TTL_SECONDS_DEFAULT, as on AWS)
   */
  inputTtlSeconds?: number;
  /** ms between janitor sweeps. @default a quarter of the TTL, between 1 s and 10 min */
  janitorIntervalMs?: number;
  /** ms to wait after SIGTERM before SIGKILL when stopping. @default 15000 */
  killAfterMs?: number;
}

export interface ChildHandle {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string | null>;
}

export interface LocalStack {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly apiUrl: string | undefined;
  /** The emulator's listening port. */
  readonly emulatorPort: number;
  /** Where emulator state persists, or undefined when it is in memory. */
  readonly dataDir: string | undefined;
  /** Environment a process needs to reach this stack (what workers and the API get). */
  readonly env: Record<string, string>;
  /** Every worker process started, restarts included (a restart keeps its worker's name). */
  readonly workers: ChildHandle[];
  /** Start one more (supervised) worker; resolves once it is consuming. */
  startWorker(extraEnv?: Record<string, string>): Promise<ChildHandle>;
  /** Stop children (SIGTERM, then SIGKILL after a grace period) and close the emulator. */
  stop(): Promise<void>;
}

const COLOURS = [36, 33, 35, 32, 34, 91, 93, 95];

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((ok, fail) => {
    const attempt = () => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        ok();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) fail(new Error(`nothing listened on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Node 24 runs the TypeScript entries; use this process's node when it is recent enough. */
function nodeBinary(): string {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 23) return process.execPath;
  const local = resolve(REPO_ROOT, "node_modules/.bin/node");
  if (existsSync(local)) return local;
  throw new Error(
    `Node ${process.versions.node} cannot run the TypeScript entries; run with the project's Node 24 (npm exec -- node ...)`,
  );
}

/**
 * Start the stack. Resolves when the emulator, the API and every worker are ready.
 *
 * @example
 * const stack = await startLocalStack({ emulatorPort: 0, apiPort: 0, workers: 2 });
 * // ... talk to stack.apiUrl, or to stack.endpoint with the AWS SDK ...
 * await stack.stop();
 */
/**
 * AWS SDK clients for the local emulator (fixed dummy credentials, path-style S3). Callers destroy
 * them when done.
 */
export function emulatorClients(at: { region: string; endpoint: string }): { s3: S3Client; sqs: SQSClient } {
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  return {
    s3: createS3Client({ region: at.region, endpoint: at.endpoint, credentials }),
    sqs: new SQSClient({ region: at.region, endpoint: at.endpoint, credentials }),
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const region = "us-east-1";
  const bucket = options.bucket ?? "alignsam-local";
  const queueName = options.queueName ?? "alignsam-jobs";
  const emulator = await startEmulator({
    port: options.emulatorPort ?? 4566,
    region,
    dataDir: options.dataDir,
  });
  const { endpoint, port: emulatorPort } = emulator;
  // Resources are created through the AWS SDK, as on AWS (infra/aws does the same with SST).
  const { s3, sqs } = emulatorClients({ region, endpoint });
  let resources: Awaited<ReturnType<typeof ensureStackResources>>;
  try {
    resources = await ensureStackResources(
      { s3, sqs },
      {
        endpoint,
        bucket,
        queueName,
        maxReceives: options.maxReceives ?? 3,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 60,
      },
    );
  } catch (e) {
    await emulator.close();
    throw e;
  } finally {
    sqs.destroy();
    s3.destroy();
  }
  const { queueUrl, dlqUrl } = resources;
  const inputTtlSeconds = options.inputTtlSeconds ?? INPUT_TTL_SECONDS_DEFAULT;
  const janitorS3 = inputTtlSeconds > 0 ? emulatorClients({ region, endpoint }).s3 : undefined;
  const janitor =
    janitorS3 &&
    startInputJanitor(janitorS3, {
      bucket,
      ttlSeconds: inputTtlSeconds,
      intervalMs: options.janitorIntervalMs ?? janitorIntervalMs(inputTtlSeconds),
      log,
    });
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_REGION: region,
    ALIGNSAM_REGION: region,
    ALIGNSAM_S3_ENDPOINT: endpoint,
    ALIGNSAM_SQS_ENDPOINT: endpoint,
    ALIGNSAM_S3_FORCE_PATH_STYLE: "true",
    ALIGNSAM_BUCKET: bucket,
    ALIGNSAM_QUEUE_URL: queueUrl,
    ALIGNSAM_DLQ_URL: dlqUrl,
    ALIGNSAM_MAX_RECEIVES: String(options.maxReceives ?? 3),
  };
  log(
    `[stack] emulator ${endpoint} (${emulator.dataDir ? `state in ${emulator.dataDir}` : "in memory"})  bucket ${bucket}  queue ${queueUrl}  dlq ${dlqUrl}  inputs kept ${inputTtlSeconds > 0 ? `${inputTtlSeconds} s` : "forever"}`,
  );

  const children: ChildHandle[] = [];
  const workers: ChildHandle[] = [];
  const node = nodeBinary();
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;

  const spawnChild = (
    name: string,
    entry: string,
    childEnv: Record<string, string>,
    ready: (line: string) => boolean,
  ) => {
    const colour = COLOURS[children.length % COLOURS.length];
    const prefix = process.stdout.isTTY ? `\u001b[${colour}m[${name}]\u001b[0m` : `[${name}]`;
    const child = spawn(node, ["--import", EXIT_WITH_PARENT, entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, ...childEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | string | null>((ok) =>
      child.once("exit", (code, signal) => ok(signal ?? code)),
    );
    const handle: ChildHandle = { name, child, exited };
    children.push(handle);
    const isReady = new Promise<void>((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`${name} was not ready within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on("line", (line) => {
          log(`${prefix} ${line}`);
          if (ready(line)) {
            clearTimeout(timer);
            ok();
          }
        });
      }
      void exited.then((how) => {
        clearTimeout(timer);
        fail(new Error(`${name} exited (${how}) before it was ready`));
      });
    });
    return { handle, isReady };
  };

  let stopping = false;
  const restartTimers = new Set<NodeJS.Timeout>();
  const spawnWorker = (name: string, workerEnv: Record<string, string>) => {
    const spawned = spawnChild(name, WORKER_ENTRY, workerEnv, (line) => line.includes('"msg":"consuming"'));
    workers.push(spawned.handle);
    return spawned;
  };
  /** Watch a worker: log an unexpected death, restart it with backoff, or give up loudly. */
  const supervise = (
    name: string,
    workerEnv: Record<string, string>,
    child: ChildProcess,
    crashes: ReturnType<typeof crashTracker> | undefined,
  ) => {
    child.once("exit", (code, signal) => {
      if (stopping) return;
      const how = describeExit(code, signal);
      if (code === 0) {
        log(`[stack] ${name} (pid ${child.pid}) exited cleanly; not restarted`);
        return;
      }
      if (!crashes) {
        log(`[stack] ${name} (pid ${child.pid}) died: ${how}; restarts are off`);
        return;
      }
      const verdict = crashes.record(Date.now());
      if (verdict.action === "give-up") {
        const reason = `${name} crashed ${verdict.crashesInWindow} times within ${crashes.windowMs / 1000} s (last: ${how})`;
        log(`[stack] GIVING UP on ${reason}; it stays down, its log lines above say why`);
        options.onGiveUp?.(name, reason);
        return;
      }
      log(
        `[stack] ${name} (pid ${child.pid}) died: ${how}; restart ${verdict.crashesInWindow}/${crashes.maxRestarts} in ${verdict.delayMs} ms`,
      );
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (stopping) return;
        const { handle, isReady } = spawnWorker(name, workerEnv);
        supervise(name, workerEnv, handle.child, crashes);
        isReady.then(
          () => log(`[stack] ${name} restarted (pid ${handle.child.pid})`),
          (e: Error) => log(`[stack] ${name} restart failed: ${e.message}`),
        );
      }, verdict.delayMs);
      restartTimers.add(timer);
    });
  };

  let workerCount = 0;
  const startWorker = async (extraEnv: Record<string, string> = {}) => {
    const name = `worker-${++workerCount}`;
    const workerEnv = { ALIGNSAM_WORKER_ID: name, ...options.workerEnv, ...extraEnv };
    const { handle, isReady } = spawnWorker(name, workerEnv);
    await isReady;
    const crashes = options.restart === false ? undefined : crashTracker(options.restart);
    supervise(name, workerEnv, handle.child, crashes);
    return handle;
  };

  const stop = async () => {
    stopping = true;
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    await Promise.all(
      children.map(async (c) => {
        if (c.child.exitCode !== null || c.child.signalCode !== null) return;
        c.child.kill("SIGTERM");
        const timer = setTimeout(() => c.child.kill("SIGKILL"), options.killAfterMs ?? 15_000);
        await c.exited;
        clearTimeout(timer);
      }),
    );
    await janitor?.stop();
    janitorS3?.destroy();
    await emulator.close();
    log("[stack] stopped");
  };

  try {
    let apiUrl: string | undefined;
    const wantApi = options.api ?? existsSync(API_ENTRY);
    if (wantApi) {
      if (!existsSync(API_ENTRY)) throw new Error(`the API entry ${API_ENTRY} does not exist yet`);
      const port = options.apiPort === 0 ? await freePort() : (options.apiPort ?? 3000);
      apiUrl = `http://127.0.0.1:${port}`;
      const { handle, isReady } = spawnChild(
        "api",
        API_ENTRY,
        {
          PORT: String(port),
          ALIGNSAM_API_HOST: "127.0.0.1",
          ALIGNSAM_PUBLIC_BASE_URL: apiUrl,
          ALIGNSAM_ANONYMOUS_TENANT:
            options.anonymousTenant ?? process.env.ALIGNSAM_ANONYMOUS_TENANT ?? LOCAL_ANONYMOUS_TENANT,
          ALIGNSAM_RATE_LIMIT_PER_MINUTE:
            process.env.ALIGNSAM_RATE_LIMIT_PER_MINUTE ?? LOCAL_RATE_LIMIT_PER_MINUTE,
          ...options.apiEnv,
        },
        () => false,
      );
      handle.child.once("exit", (code, signal) => {
        if (!stopping)
          log(`[stack] api (pid ${handle.child.pid}) died: ${describeExit(code, signal)}; not restarted`);
      });
      await Promise.race([isReady, waitForPort(port, readyTimeoutMs)]);
    }
    const count = options.workers ?? Number(process.env.ALIGNSAM_WORKERS ?? 1);
    await Promise.all(Array.from({ length: count }, () => startWorker()));
    return {
      endpoint,
      region,
      bucket,
      queueUrl,
      dlqUrl,
      apiUrl,
      emulatorPort,
      dataDir: emulator.dataDir,
      env,
      workers,
      startWorker,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
