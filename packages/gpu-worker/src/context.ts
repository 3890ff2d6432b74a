/**
 * What every handler receives: storage, the engine, the task registry, a way to enqueue follow-up
 * messages, and a logger. Plain data, so tests build one directly.
 */
import type { DatasetImportLimits, JobMessageInput, TaskRegistry } from "@alignsam/core/light";
import type { Engine } from "./engine.ts";
import type { Storage } from "./storage.ts";
import type { ImageLimits } from "./working-image.ts";

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Facts about this delivery of a message. */
export interface Delivery {
  /** SQS ApproximateReceiveCount (1 on the first delivery). */
  readonly receiveCount: number;
  /** True on the queue's last allowed receive: a failure now is final. */
  readonly lastAttempt: boolean;
}

export interface HandlerContext {
  readonly storage: Storage;
  readonly engine: Engine;
  readonly tasks: TaskRegistry;
  readonly log: Logger;
  /** Enqueue a follow-up message on the jobs queue (validated before sending). */
  enqueue(message: JobMessageInput): Promise<void>;
  /** Signing key for completion callbacks. */
  readonly callbackSecret?: string;
  /** Fault injection: ms to hold a job after it is marked running, on its first receive. */
  readonly faultHoldFirstAttemptMs?: number;
  readonly maxTrainImages?: number;
  /** Pixel limit and working size of decoded images. @default DEFAULT_IMAGE_LIMITS */
  readonly imageLimits?: ImageLimits;
  /** Bounds on a dataset archive (entries, bytes, pixels). @default DEFAULT_DATASET_IMPORT_LIMITS */
  readonly datasetImportLimits?: DatasetImportLimits;
  /** This worker's id (ALIGNSAM_WORKER_ID), recorded in shard done markers. */
  readonly workerId?: string;
  now(): Date;
}

/** A JSON-lines logger with a fixed prefix of fields (worker id, ...). */
export function jsonLogger(
  base: Record<string, unknown>,
  write: (line: string) => void = console.log,
): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ t: new Date().toISOString(), level, ...base, msg: message, ...fields }));
  return {
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
  };
}
