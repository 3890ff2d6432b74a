/**
 * How every CLI command talks: human text on stdout by default, one JSON document with `--json`,
 * errors as `CODE: message` on stderr (or a JSON error object with `--json`) and exit code 1.
 */
import { isAlignSamError } from "../errors.ts";

export interface GlobalOptions {
  json?: boolean;
}

export function emit(options: GlobalOptions, human: () => string, machine: () => unknown): void {
  if (options.json) process.stdout.write(`${JSON.stringify(machine(), null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Runs a command action, turning user-actionable errors into a clear message and exit code 1. */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void>,
  json: () => boolean,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (e) {
      if (!isAlignSamError(e)) throw e;
      if (json()) {
        process.stderr.write(
          `${JSON.stringify({ error: { code: e.code, message: e.message, details: e.details } })}\n`,
        );
      } else {
        process.stderr.write(`${e.code}: ${e.message}\n`);
      }
      process.exitCode = 1;
    }
  };
}
