/**
 * `npm start`: the local stack in the foreground. Ctrl-C (or SIGTERM) stops the workers and the API
 * gracefully and closes the emulator.
 *
 * Environment: ALIGNSAM_EMULATOR_PORT (default 4566), PORT (API, default 3000), ALIGNSAM_WORKERS
 * (default 1), ALIGNSAM_DATA_DIR (emulator state, default <repo>/.data/emulator; set it empty to keep
 * everything in memory).
 */
import { resolve } from "node:path";
import { REPO_ROOT, startLocalStack } from "./stack.ts";

const dataDirEnv = process.env.ALIGNSAM_DATA_DIR;
const dataDir =
  dataDirEnv === undefined
    ? resolve(REPO_ROOT, ".data/emulator")
    : dataDirEnv === ""
      ? undefined
      : dataDirEnv;

const stack = await startLocalStack({
  emulatorPort: Number(process.env.ALIGNSAM_EMULATOR_PORT ?? 4566),
  apiPort: Number(process.env.PORT ?? 3000),
  workers: Number(process.env.ALIGNSAM_WORKERS ?? 1),
  dataDir,
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
    `  workers    ${stack.workers.length}`,
    "Ctrl-C stops everything.",
    "",
  ].join("\n"),
);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
