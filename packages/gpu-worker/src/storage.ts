/**
 * S3 storage for the worker: JSON documents validated by their zod schema, bytes, listings. The
 * SDK's standard retry strategy handles throttling and 5xx; on top of it, writes (all idempotent:
 * deterministic keys, same bytes on a rerun) get a second, slower backoff so a brief emulator or
 * network outage does not fail a long job at its last step.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { z } from "zod";
import { injectS3PutFaults, type S3FaultPlan, s3FaultPlanFromEnv } from "./faults.ts";

export interface StorageOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  /** SDK attempts per request (standard retry mode). @default 4 */
  maxAttempts?: number;
  /** Extra attempts for writes after the SDK gave up. @default 3 */
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Errors worth another try: throttling, server faults, dropped connections. */
export function isTransient(e: unknown): boolean {
  if (e instanceof S3ServiceException) {
    return (
      e.$fault === "server" || e.$retryable !== undefined || /Throttl|SlowDown|RequestTimeout/.test(e.name)
    );
  }
  const code = (e as { code?: string } | undefined)?.code;
  return typeof code === "string" && /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR/.test(code);
}

/**
 * Run an idempotent operation, retrying transient failures with exponential backoff and jitter.
 */
export async function withRetry<T>(op: () => Promise<T>, attempts: number, backoffMs: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= attempts || !isTransient(e)) throw e;
      await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}

/** The S3 (or S3-compatible) implementation. */
export function createS3Storage(options: StorageOptions): Storage & { client: S3Client } {
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: "standard",
  });
  const faults = options.faults ?? s3FaultPlanFromEnv();
  if (faults && faults.putFailures > 0) injectS3PutFaults(client, faults);
  const bucket = options.bucket;
  const writeAttempts = options.writeAttempts ?? 3;
  const writeBackoffMs = options.writeBackoffMs ?? 250;

  const getBytes = async (key: string): Promise<Uint8Array | undefined> => {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (e instanceof NoSuchKey || (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404)) {
        return undefined;
      }
      throw e;
    }
  };

  const put = (key: string, body: Uint8Array | string, contentType: string) =>
    withRetry(
      async () => {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        );
      },
      writeAttempts,
      writeBackoffMs,
    );

  return {
    client,
    getBytes,
    async getJson(key, schema) {
      const bytes = await getBytes(key);
      if (bytes === undefined) return undefined;
      return schema.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    },
    putBytes: (key, body, contentType) => put(key, body, contentType),
    putJson: (key, value) => put(key, `${JSON.stringify(value, null, 2)}\n`, "application/json"),
    putText: (key, text, contentType) => put(key, text, contentType),
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const res = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
  };
}
