/**
 * FAULT INJECTION, FOR TESTS ONLY. Makes the worker's S3 writes fail on purpose, so the fault suite
 * (tests/e2e/faults.test.ts) can prove a job whose writes fail is retried and still ends with one
 * result set. Off unless `ALIGNSAM_FAULT_S3_PUT_FAILURES` is set; never set it in a deployment.
 *
 * - `ALIGNSAM_FAULT_S3_PUT_FAILURES=<n>`: the first n matching PutObject calls of this process fail
 *   with a 500 InternalError (a server fault, so the worker treats it as transient);
 * - `ALIGNSAM_FAULT_S3_PUT_KEY=<regex>`: only keys matching it count (default: every key).
 *
 * The failure is raised in the SDK's initialize step, before its retry middleware, so each call
 * fails once per injected fault whatever the SDK's own retry settings are.
 */
import { type S3Client, S3ServiceException } from "@aws-sdk/client-s3";

export interface S3FaultPlan {
  /** PutObject calls to fail. */
  readonly putFailures: number;
  /** Only keys matching this count. @default every key */
  readonly keyPattern?: RegExp;
}

export const FAULT_ENV = {
  putFailures: "ALIGNSAM_FAULT_S3_PUT_FAILURES",
  keyPattern: "ALIGNSAM_FAULT_S3_PUT_KEY",
} as const;

/** The plan the environment asks for, or undefined when fault injection is off (the default). */
export function s3FaultPlanFromEnv(
  env: Record<string, string | undefined> = process.env,
): S3FaultPlan | undefined {
  const raw = env[FAULT_ENV.putFailures];
  if (raw === undefined || raw === "" || raw === "0") return undefined;
  const putFailures = Number(raw);
  if (!Number.isInteger(putFailures) || putFailures < 0) {
    throw new Error(`${FAULT_ENV.putFailures} must be a non-negative integer, not "${raw}"`);
  }
  const pattern = env[FAULT_ENV.keyPattern];
  return { putFailures, ...(pattern ? { keyPattern: new RegExp(pattern) } : {}) };
}

/** A synthetic S3 500, shaped like the SDK's own so retry and error handling treat it as real. */
function injectedError(key: string): S3ServiceException {
  return new S3ServiceException({
    name: "InternalError",
    $fault: "server",
    $metadata: { httpStatusCode: 500 },
    message: `fault injected (${FAULT_ENV.putFailures}): PutObject ${key} failed`,
  });
}

/**
 * Add the failing middleware to a client; returns a counter of faults still to inject. Logs each
 * injected fault as a JSON line so test logs show where failures came from.
 */
export function injectS3PutFaults(
  client: S3Client,
  plan: S3FaultPlan,
  write: (line: string) => void = console.log,
): { readonly remaining: number } {
  let remaining = plan.putFailures;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = String((args.input as { Key?: unknown }).Key ?? "");
      if (
        remaining > 0 &&
        context.commandName === "PutObjectCommand" &&
        (!plan.keyPattern || plan.keyPattern.test(key))
      ) {
        remaining--;
        write(JSON.stringify({ level: "warn", msg: "fault injected: S3 PutObject fails", key, remaining }));
        throw injectedError(key);
      }
      return next(args);
    },
    { step: "initialize", name: "alignsamFaultInjectionS3Put", priority: "high" },
  );
  return {
    get remaining() {
      return remaining;
    },
  };
}
