/**
 * `npm start`: the local stack in the foreground. SIGINT (Ctrl-C), SIGTERM or SIGHUP, sent to this
 * launcher or to the npm process running it (npm forwards SIGINT and SIGTERM to its script, which
 * `exec`s this file), stops the workers and the API and closes the emulator within seconds. The
 * launcher also stops when its parent goes away, and its children stop when it does
 * (exit-with-parent.ts). A worker that keeps crashing makes it stop with exit code 1.
 *
 * Environment: ALIGNSAM_EMULATOR_PORT (default 4566), PORT (API, default 3000), ALIGNSAM_WORKERS
 * (default 1), ALIGNSAM_DATA_DIR (emulator state, default <repo>/.data/emulator; set it empty to keep
 * everything in memory), ALIGNSAM_INPUT_TTL_SECONDS (uploaded inputs are deleted once older, default
 * 86400; 0 keeps them), ALIGNSAM_SHUTDOWN_GRACE_SECONDS (how long a stopping worker lets its job
 * finish before releasing it, default 5 here).
 */
import { resolve } from "node:path";
import { z } from "zod";
import { INPUT_TTL_SECONDS_DEFAULT } from "../input-expiry.ts";
import { REPO_ROOT, startLocalStack } from "./stack.ts";

/** A worker's grace on Ctrl-C: longer jobs are released and run again on the next start. */
const LOCAL_SHUTDOWN_GRACE_SECONDS = "5";

const EnvSchema = z.object({
  ALIGNSAM_EMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(4566),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  ALIGNSAM_WORKERS: z.coerce.number().int().min(0).default(1),
  ALIGNSAM_DATA_DIR: z.string().optional(),
  ALIGNSAM_INPUT_TTL_SECONDS: z.coerce.number().int().min(0).default(INPUT_TTL_SECONDS_DEFAULT),
  ALIGNSAM_SHUTDOWN_GRACE_SECONDS: z.string().default(LOCAL_SHUTDOWN_GRACE_SECONDS),
});

const parsed = EnvSchema.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`invalid ${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const env = parsed.data;
const dataDir =
  env.ALIGNSAM_DATA_DIR === undefined
    ? resolve(REPO_ROOT, ".data/emulator")
    : env.ALIGNSAM_DATA_DIR === ""
      ? undefined
      : env.ALIGNSAM_DATA_DIR;

let stopping = false;
let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
const shutdown = async (why: string, exitCode = 0) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n[stack] stopping (${why})`);
  // Still starting: exit now; the children started so far follow (exit-with-parent.ts).
  if (stack) await stack.stop();
  process.exit(exitCode);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void shutdown(signal));
}
// Orphaned (the npm or shell that ran us was killed): stop rather than hold the ports forever.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown("parent process gone");
}, 500).unref();

stack = await startLocalStack({
  emulatorPort: env.ALIGNSAM_EMULATOR_PORT,
  apiPort: env.PORT,
  workers: env.ALIGNSAM_WORKERS,
  dataDir,
  inputTtlSeconds: env.ALIGNSAM_INPUT_TTL_SECONDS,
  workerEnv: { ALIGNSAM_SHUTDOWN_GRACE_SECONDS: env.ALIGNSAM_SHUTDOWN_GRACE_SECONDS },
  onGiveUp: (worker, reason) => {
    console.error(`\n[stack] ${reason}: stopping the stack; fix the cause and run npm start again.`);
    void shutdown(`${worker} keeps crashing`, 1);
  },
});
console.log(
  [
    "",
    "AlignSAM local stack is up:",
    `  API        ${stack.apiUrl ?? "(not started: packages/api/src/entry/node.ts is missing)"}`,
    `  S3 + SQS   ${stack.endpoint} (bucket ${stack.bucket})`,
    `  jobs queue ${stack.queueUrl}`,
    `  DLQ        ${stack.dlqUrl}`,
    `  state      ${stack.dataDir ?? "in memory (lost on exit)"}`,
    `  workers    ${stack.workers.length} (restarted if they crash)`,
    `  launcher   pid ${process.pid}`,
    "Ctrl-C (or SIGTERM to this launcher or to npm) stops everything.",
    "",
  ].join("\n"),
);
