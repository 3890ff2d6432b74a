/**
 * The local stack's input janitor: every `intervalMs` it deletes uploaded inputs older than the TTL
 * (../input-expiry.ts), as the scheduled Lambda does on AWS.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { expireInputs } from "../input-expiry.ts";

export interface InputJanitorOptions {
  bucket: string;
  ttlSeconds: number;
  intervalMs: number;
  log: (line: string) => void;
}

export interface InputJanitor {
  /** Run one sweep now (also what the timer does); resolves with the number of inputs deleted. */
  sweep(): Promise<number>;
  /** Stop the timer and wait for a sweep in progress. */
  stop(): Promise<void>;
}

/** The interval between sweeps for a TTL: a quarter of it, between 1 s and 10 min. */
export function janitorIntervalMs(ttlSeconds: number): number {
  return Math.min(600_000, Math.max(1_000, (ttlSeconds * 1000) / 4));
}

export function startInputJanitor(s3: S3Client, options: InputJanitorOptions): InputJanitor {
  let running: Promise<number> | undefined;
  const sweep = () => {
    running ??= expireInputs(s3, options.bucket, { ttlSeconds: options.ttlSeconds })
      .then(({ deleted }) => {
        if (deleted.length > 0) {
          options.log(`[janitor] deleted ${deleted.length} input(s) older than ${options.ttlSeconds} s`);
        }
        return deleted.length;
      })
      .catch((e: Error) => {
        // The next sweep tries again; a failed sweep loses nothing.
        options.log(`[janitor] sweep failed: ${e.message}`);
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
