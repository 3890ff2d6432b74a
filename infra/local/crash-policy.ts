/**
 * When the local stack restarts a worker that died: with exponential backoff, and not at all once it
 * has crashed too often in a short window (a crash loop is a bug to read about, not to hide).
 */

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; the crash after that gives up. @default 5 */
  maxRestarts?: number;
  /** @default 60000 */
  windowMs?: number;
  /** Delay before the first restart, doubled for each further crash in the window. @default 500 */
  initialDelayMs?: number;
  /** @default 10000 */
  maxDelayMs?: number;
}

export type CrashVerdict =
  | { readonly action: "restart"; readonly delayMs: number; readonly crashesInWindow: number }
  | { readonly action: "give-up"; readonly crashesInWindow: number };

/**
 * Counts one process's crashes and says what to do after each.
 *
 * @example
 * const crashes = crashTracker({ maxRestarts: 2 });
 * crashes.record(Date.now()); // { action: "restart", delayMs: 500, crashesInWindow: 1 }
 */
export function crashTracker(policy: RestartPolicy = {}) {
  const maxRestarts = policy.maxRestarts ?? 5;
  const windowMs = policy.windowMs ?? 60_000;
  const initialDelayMs = policy.initialDelayMs ?? 500;
  const maxDelayMs = policy.maxDelayMs ?? 10_000;
  let times: number[] = [];
  return {
    maxRestarts,
    windowMs,
    record(now: number): CrashVerdict {
      times = [...times.filter((t) => now - t < windowMs), now];
      const crashesInWindow = times.length;
      if (crashesInWindow > maxRestarts) return { action: "give-up", crashesInWindow };
      const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** (crashesInWindow - 1));
      return { action: "restart", delayMs, crashesInWindow };
    },
  };
}

/** "exit code 1" / "signal SIGKILL", for log lines. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}
