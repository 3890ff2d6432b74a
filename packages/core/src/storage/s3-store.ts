/**
 * The S3 adapter of the blob-store port, bound to a bucket and an optional key prefix. Operations a
 * package needs beyond the port (presigned URLs in the API, fault injection in the worker's tests)
 * use the same `client`, never a second one.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { BlobStore } from "./blob-store.ts";
import { isNotFound } from "./errors.ts";
import { type WriteRetry, withRetry } from "./retry.ts";

export interface S3BlobStoreOptions {
  /** Made by createS3Client; the store does not destroy it. */
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix the store's keys are under, without a trailing '/'. @default "" (the bucket root) */
  readonly prefix?: string;
  /**
   * Extra attempts for writes after the SDK gave up (every write of the caller must be idempotent).
   * @default { attempts: 1 } (none)
   */
  readonly writeRetry?: WriteRetry;
}

export interface S3BlobStore extends BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  /** The object key of a store key (the prefix added). */
  objectKey(key: string): string;
}

/**
 * @example
 * const store = createS3BlobStore({ client: createS3Client(), bucket: "alignsam" });
 * await store.put("a/b.json", "{}", { contentType: "application/json" });
 */
export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const { client, bucket } = options;
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  const objectKey = (key: string) => (prefix ? `${prefix}/${key}` : key);
  const storeKey = (objKey: string) => (prefix ? objKey.slice(prefix.length + 1) : objKey);
  const writeRetry = options.writeRetry ?? { attempts: 1, backoffMs: 0 };

  return {
    location: `s3://${bucket}/${prefix}`,
    client,
    bucket,
    objectKey,
    async get(key, { maxBytes } = {}) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        if (maxBytes !== undefined && (res.ContentLength ?? 0) > maxBytes) {
          res.Body?.transformToWebStream().cancel();
          throw new RangeError(`object ${key} is larger than ${maxBytes} bytes`);
        }
        const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
        return { bytes, ...(res.ContentType ? { contentType: res.ContentType } : {}) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    put(key, body, { contentType = "application/octet-stream", ifNoneMatch } = {}) {
      return withRetry(async () => {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: objectKey(key),
            Body: body,
            ContentType: contentType,
            ...(ifNoneMatch ? { IfNoneMatch: "*" } : {}),
          }),
        );
      }, writeRetry);
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    async list(listPrefix, { startAfter, endBefore, limit = Number.POSITIVE_INFINITY } = {}) {
      const keys: string[] = [];
      if (limit <= 0) return keys;
      const full = objectKey(listPrefix);
      // S3 skips what sorts first itself; a startAfter before the prefix would only waste the call.
      const from =
        startAfter !== undefined && objectKey(startAfter) > full ? objectKey(startAfter) : undefined;
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: full,
            ContinuationToken: token,
            ...(from && !token ? { StartAfter: from } : {}),
          }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          const key = storeKey(o.Key);
          if (startAfter !== undefined && key <= startAfter) continue;
          if (endBefore !== undefined && key >= endBefore) return keys;
          keys.push(key);
          if (keys.length >= limit) return keys;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async listFolders(listPrefix) {
      const folders: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: objectKey(listPrefix),
            Delimiter: "/",
            ContinuationToken: token,
          }),
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(storeKey(p.Prefix));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return folders;
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    },
    async download(key, dest) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      if (!(res.Body instanceof Readable)) {
        throw new Error(`s3://${bucket}/${objectKey(key)} returned no readable body`);
      }
      await mkdir(dirname(dest), { recursive: true });
      const part = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        await pipeline(res.Body, createWriteStream(part));
        await rename(part, dest);
      } finally {
        await rm(part, { force: true });
      }
    },
  };
}
