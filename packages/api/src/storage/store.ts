/**
 * The few S3 operations the API needs, bound to one bucket: JSON documents validated on read,
 * listing with pagination, and presigned URLs. "Not found" is a value (undefined), not an error,
 * because the routes turn it into a 404 of their own.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";
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

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/** Bind the S3 client to the bucket and the presigned-URL lifetime. */
export function createStore(s3: S3Client, bucket: string, presignExpirySeconds: number): Store {
  return {
    bucket,
    async putBytes(key, body, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async putJson(key, value, options = {}) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: "application/json",
          ...(options.ifNoneMatch ? { IfNoneMatch: "*" } : {}),
        }),
      );
    },
    async getBytes(key, maxBytes) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if ((res.ContentLength ?? 0) > maxBytes) {
          res.Body?.transformToWebStream().cancel();
          throw new RangeError(`object ${key} is larger than ${maxBytes} bytes`);
        }
        const bytes = await res.Body!.transformToByteArray();
        return { bytes, contentType: res.ContentType };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async getJson(key, schema) {
      const got = await this.getBytes(key, 16 * 1024 * 1024);
      if (!got) return undefined;
      return schema.parse(JSON.parse(new TextDecoder().decode(got.bytes)));
    },
    async exists(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    async listKeys(prefix, limit = Number.POSITIVE_INFINITY) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        if (keys.length >= limit) break;
      }
      return keys;
    },
    async listKeysBetween(prefix, startAfter, endBefore, limit = Number.POSITIVE_INFINITY) {
      const keys: string[] = [];
      const pages = paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: prefix, ...(startAfter > prefix ? { StartAfter: startAfter } : {}) },
      );
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key <= startAfter) continue;
          if (o.Key >= endBefore || keys.length >= limit) return keys;
          keys.push(o.Key);
        }
      }
      return keys;
    },
    async deleteKey(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async listFolders(prefix) {
      const folders: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            Delimiter: "/",
            ContinuationToken: token,
          }),
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return folders;
    },
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
      // the client must be built with requestChecksumCalculation "WHEN_REQUIRED" (see clients.ts).
      const checksum = [...new URL(url).searchParams.keys()].find((k) => /^x-amz-checksum-/i.test(k));
      if (checksum) {
        throw new Error(
          `presigned PUT carries ${checksum}; configure the S3 client with WHEN_REQUIRED checksums`,
        );
      }
      return url;
    },
  };
}
