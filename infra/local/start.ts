/**
 * `npm start`: the local stack in the foreground. Ctrl-C (or SIGTERM) stops the workers and the API
 * gracefully and closes the emulator.
 *
 * Environment: ALIGNSAM_EMULATOR_PORT (default 4566), PORT (API, default 3000), ALIGNSAM_WORKERS
 * (default 1).
 */
import { startLocalStack } from "./stack.ts";

const stack = await startLocalStack({
  emulatorPort: Number(process.env.ALIGNSAM_EMULATOR_PORT ?? 4566),
  apiPort: Number(process.env.PORT ?? 3000),
  workers: Number(process.env.ALIGNSAM_WORKERS ?? 1),
});
console.log(
  [
    "",
    "AlignSAM local stack is up:",
    `  API        ${stack.apiUrl ?? "(not started: packages/api/src/entry/node.ts is missing)"}`,
    `  S3 + SQS   ${stack.endpoint} (bucket ${stack.bucket})`,
    `  jobs queue ${stack.queueUrl}`,
    `  DLQ        ${stack.dlqUrl}`,
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
