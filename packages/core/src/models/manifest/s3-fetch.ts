/**
 * Fetches a model package from s3://bucket/prefix into a local cache folder. The AWS SDK is imported
 * lazily, here only, so nothing pulls it in unless an s3:// URI is actually used.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { AlignSamError } from "../../errors.ts";
import { sha256File } from "./checksum.ts";

export interface S3Location {
  readonly bucket: string;
  /** Key prefix without leading or trailing '/' ("" for the bucket root). */
  readonly prefix: string;
}

/** Parses s3://bucket/some/prefix (a trailing '/' is optional). */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match || match[1].length < 3) {
    throw new AlignSamError("MODEL_MANIFEST", `not an S3 URI: "${uri}" (expected s3://bucket/prefix)`);
  }
  return { bucket: match[1], prefix: match[2].replace(/\/+$/, "") };
}

export function s3Key(location: S3Location, path: string): string {
  return location.prefix ? `${location.prefix}/${path}` : path;
}

/** A client from the default AWS credential chain (endpoint from AWS_ENDPOINT_URL_S3 when set). */
export async function defaultS3Client(): Promise<S3Client> {
  const { S3Client: Client } = await import("@aws-sdk/client-s3");
  return new Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
}

/** Downloads one object to `dest` atomically (temporary file, then rename). */
export async function downloadObject(client: S3Client, location: S3Location, path: string, dest: string) {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const key = s3Key(location, path);
  let body: unknown;
  try {
    body = (await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }))).Body;
  } catch (e) {
    throw new AlignSamError(
      "MODEL_MANIFEST",
      `could not download s3://${location.bucket}/${key}: ${(e as Error).name}: ${(e as Error).message}`,
    );
  }
  if (!(body instanceof Readable)) {
    throw new AlignSamError("MODEL_MANIFEST", `s3://${location.bucket}/${key} returned no readable body`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await pipeline(body, createWriteStream(part));
    await rename(part, dest);
  } finally {
    await rm(part, { force: true });
  }
}

/** The local folder that mirrors an S3 model prefix. */
export function cacheFolder(cacheDir: string, location: S3Location): string {
  return join(cacheDir, location.bucket, ...location.prefix.split("/").filter(Boolean));
}

/** True when `path` exists and already has the expected hash (so no download is needed). */
export async function cachedCopyIsValid(path: string, sha256: string): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  return (await sha256File(path)) === sha256.toLowerCase();
}
