/**
 * The S3 operations the API needs, bound to one bucket: core's S3 blob store (@alignsam/core/storage)
 * with JSON documents validated on read and presigned URLs over the same client. "Not found" is a
 * value (undefined), not an error, because the routes turn it into a 404 of their own.
 */

import { createS3BlobStore, getJson } from "@alignsam/core/storage";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { z } from "zod";

export interface Store {
  readonly bucket: string;
  putBytes(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Write JSON; `ifNoneMatch` asks S3 to refuse an overwrite (a second guard only: emulators ignore it). */
  putJson(key: string, value: unknown, options?: { ifNoneMatch?: boolean }): Promise<void>;
  getBytes(key: string, maxBytes: number): Promise<{ bytes: Uint8Array; contentType?: string } | undefined>;
  getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.infer<S> | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every key under a prefix (paginated). */
  listKeys(prefix: string, limit?: number): Promise<string[]>;
  /**
   * Keys under `prefix` that sort after `startAfter` and before `endBefore`, in order: one listing
   * that skips what sorts first (S3 lists keys in UTF-8 byte order) and stops early.
   */
  listKeysBetween(prefix: string, startAfter: string, endBefore: string, limit?: number): Promise<string[]>;
  /** Remove an object (absent is fine: S3 deletes are idempotent). */
  deleteKey(key: string): Promise<void>;
  /** The "folders" directly under a prefix, as full prefixes ending in "/". */
  listFolders(prefix: string): Promise<string[]>;
  presignGet(key: string): Promise<string>;
  /** A PUT URL that signs the exact Content-Type and Content-Length and carries no body checksum. */
  presignPut(key: string, contentType: string, contentLength: number): Promise<string>;
}

/** Bind the S3 client to the bucket and the presigned-URL lifetime. */
export function createStore(s3: S3Client, bucket: string, presignExpirySeconds: number): Store {
  const blobs = createS3BlobStore({ client: s3, bucket });
  return {
    bucket,
    putBytes: (key, body, contentType) => blobs.put(key, body, { contentType }),
    putJson: (key, value, options = {}) =>
      blobs.put(key, JSON.stringify(value), { contentType: "application/json", ...options }),
    getBytes: async (key, maxBytes) => blobs.get(key, { maxBytes }),
    getJson: (key, schema) => getJson(blobs, key, schema, { maxBytes: 16 * 1024 * 1024 }),
    exists: (key) => blobs.exists(key),
    listKeys: (prefix, limit) => blobs.list(prefix, { limit }),
    listKeysBetween: (prefix, startAfter, endBefore, limit) =>
      blobs.list(prefix, { startAfter, endBefore, limit }),
    deleteKey: (key) => blobs.delete(key),
    listFolders: (prefix) => blobs.listFolders(prefix),
    presignGet(key) {
      return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: presignExpirySeconds,
      });
    },
    async presignPut(key, contentType, contentLength) {
      const url = await getSignedUrl(
        s3,
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          ContentType: contentType,
          ContentLength: contentLength,
        }),
        { expiresIn: presignExpirySeconds, signableHeaders: new Set(["content-type", "content-length"]) },
      );
      // A checksum in the URL was computed over no body, so S3 would refuse every upload to it;
      // core's createS3Client builds every client with WHEN_REQUIRED checksums.
      const checksum = [...new URL(url).searchParams.keys()].find((k) => /^x-amz-checksum-/i.test(k));
      if (checksum) {
        throw new Error(
          `presigned PUT carries ${checksum}; build the S3 client with createS3Client (WHEN_REQUIRED checksums)`,
        );
      }
      return url;
    },
  };
}
