/**
 * The one retry policy on top of the SDK's own: how hard a client tries (RETRY_PROFILES, passed to
 * every SDK client) and a slower backoff for idempotent writes after the SDK gave up (withRetry).
 */
import { isDependencyOutage } from "./errors.ts";

/** SDK client settings by who waits on the answer. */
export const RETRY_PROFILES = {
  /**
   * Someone is waiting on the request (the API): when S3 or SQS is down it must say 503 within a few
   * seconds, not after the SDK's default retries and unbounded socket waits. Two attempts, a short
   * connect timeout, and a socket timeout long enough for a 10 MiB PUT.
   */
  interactive: {
    maxAttempts: 2,
    retryMode: "standard",
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 },
  },
  /** A job or a tool that would rather wait than fail: the standard retry mode with four attempts. */
  background: { maxAttempts: 4, retryMode: "standard" },
} as const;

export type RetryProfile = keyof typeof RETRY_PROFILES;

export interface WriteRetry {
  /** Attempts in all (1: no retry). */
  readonly attempts: number;
  /** First backoff, doubled each time, with jitter. */
  readonly backoffMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run an idempotent operation, retrying outages (isDependencyOutage) with exponential backoff and
 * jitter; anything else is thrown at once.
 *
 * @example await withRetry(() => store.put(key, bytes), { attempts: 3, backoffMs: 250 });
 */
export async function withRetry<T>(op: () => Promise<T>, retry: WriteRetry): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= retry.attempts || !isDependencyOutage(e)) throw e;
      await sleep(retry.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}
