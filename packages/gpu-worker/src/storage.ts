/**
 * S3 storage for the worker: core's S3 blob store (@alignsam/core/storage) with JSON documents
 * validated by their zod schema. The client's "background" retry profile handles throttling and
 * 5xx; on top of it, writes (all idempotent: deterministic keys, same bytes on a rerun) get core's
 * slower write retry so a brief emulator or network outage does not fail a long job at its last
 * step. An outage that outlasts both fails the handler, and the message is left for redelivery.
 */
import { createS3BlobStore, createS3Client, getJson } from "@alignsam/core/storage";
import type { S3Client } from "@aws-sdk/client-s3";
import type { z } from "zod";
import { injectS3PutFaults, type S3FaultPlan, s3FaultPlanFromEnv } from "./faults.ts";

export interface StorageOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Attempts per write in all, the SDK's own retries aside. @default 3 */
  writeAttempts?: number;
  /** First backoff of those extra attempts, doubled each time. @default 250 */
  writeBackoffMs?: number;
  /**
   * Test-only fault injection (./faults.ts): fail the first PutObject calls on purpose.
   * @default read from ALIGNSAM_FAULT_S3_PUT_FAILURES / ALIGNSAM_FAULT_S3_PUT_KEY; off when unset
   */
  faults?: S3FaultPlan;
}

/** The storage operations handlers use; one S3 implementation, an interface so faults can be injected. */
export interface Storage {
  getBytes(key: string): Promise<Uint8Array | undefined>;
  getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.infer<S> | undefined>;
  putBytes(key: string, body: Uint8Array, contentType: string): Promise<void>;
  putJson(key: string, value: unknown): Promise<void>;
  putText(key: string, text: string, contentType: string): Promise<void>;
  /** All keys under a prefix (every page). */
  list(prefix: string): Promise<string[]>;
}

/** The S3 (or S3-compatible) implementation. */
export function createS3Storage(options: StorageOptions): Storage & { client: S3Client } {
  const client = createS3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    retry: "background",
  });
  const faults = options.faults ?? s3FaultPlanFromEnv();
  if (faults && faults.putFailures > 0) injectS3PutFaults(client, faults);
  const blobs = createS3BlobStore({
    client,
    bucket: options.bucket,
    writeRetry: { attempts: options.writeAttempts ?? 3, backoffMs: options.writeBackoffMs ?? 250 },
  });
  return {
    client,
    getBytes: async (key) => (await blobs.get(key))?.bytes,
    getJson: (key, schema) => getJson(blobs, key, schema),
    putBytes: (key, body, contentType) => blobs.put(key, body, { contentType }),
    putJson: (key, value) =>
      blobs.put(key, `${JSON.stringify(value, null, 2)}\n`, { contentType: "application/json" }),
    putText: (key, text, contentType) => blobs.put(key, text, { contentType }),
    list: (prefix) => blobs.list(prefix),
  };
}
