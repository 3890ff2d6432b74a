/**
 * Progress for long loops, always on stderr so stdout stays the command's answer: a cli-progress bar
 * on a terminal; otherwise (stderr redirected, or `--json` where a bar would garble a captured log)
 * a plain line every few seconds and one at the end, so a CI log still shows that work moves.
 */
import { SingleBar } from "cli-progress";
import type { Progress } from "../util/progress.ts";

export interface ProgressOptions {
  /** Plain lines instead of a bar (the `--json` flag). */
  readonly plain?: boolean;
  /** Milliseconds between plain lines. @default 5000 */
  readonly intervalMs?: number;
  /** Where lines go. @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * A bar on a TTY, periodic plain lines elsewhere.
 * @example const p = startProgress("train", 250); p.update(10, "reward 0.31"); p.stop();
 */
export function startProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (!options.plain && stream.isTTY) return barProgress(label, total, stream);
  return plainProgress(label, total, stream, options.intervalMs ?? 5000);
}

function barProgress(label: string, total: number, stream: NodeJS.WritableStream): Progress {
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {eta_formatted} {detail}`,
    hideCursor: true,
    etaBuffer: 20,
    stream,
  });
  bar.start(total, 0, { detail: "" });
  return {
    update: (value, detail) => bar.update(value, { detail: detail ?? "" }),
    increment: (detail) => bar.increment(1, { detail: detail ?? "" }),
    stop: () => bar.stop(),
  };
}

function plainProgress(
  label: string,
  total: number,
  stream: NodeJS.WritableStream,
  intervalMs: number,
): Progress {
  const started = performance.now();
  let value = 0;
  let detail = "";
  let lastLine = started;
  let stopped = false;
  let printed = "";
  const line = () => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    printed = `${value}/${total}${detail}`;
    stream.write(`${label}: ${value}/${total} (${seconds} s)${detail ? ` ${detail}` : ""}\n`);
    lastLine = performance.now();
  };
  const maybeLine = () => {
    if (performance.now() - lastLine >= intervalMs) line();
  };
  return {
    update(v, d) {
      value = v;
      if (d !== undefined) detail = d;
      maybeLine();
    },
    increment(d) {
      value++;
      if (d !== undefined) detail = d;
      maybeLine();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // The final state, unless the last periodic line already said it.
      if (printed !== `${value}/${total}${detail}`) line();
    },
  };
}
