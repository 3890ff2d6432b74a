/**
 * A progress display for one long loop, as commands and the evaluation runs drive it; the CLI draws
 * it (cli/progress.ts: a bar on a terminal, plain lines elsewhere).
 */
export interface Progress {
  /** Sets the absolute count and an optional short detail (e.g. the mean reward). */
  update(value: number, detail?: string): void;
  increment(detail?: string): void;
  stop(): void;
}
