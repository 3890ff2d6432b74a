/**
 * Fetches a model package from s3://bucket/prefix into a local cache folder, through the blob-store
 * port (../../storage). The AWS SDK is imported lazily (openBlobStore), so nothing pulls it in
 * unless an s3:// URI is actually used.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { AlignSamError } from "../../errors.ts";
import type { BlobStore } from "../../storage/blob-store.ts";
import { openBlobStore } from "../../storage/open.ts";
import { parseS3Uri, type S3Location } from "../../storage/s3-uri.ts";
import { sha256File } from "./checksum.ts";

/** The package's location and a store over it; MODEL_MANIFEST for a URI that is not s3://bucket/prefix. */
export async function openModelPackage(
  uri: string,
  s3Client: S3Client | undefined,
): Promise<{ location: S3Location; store: BlobStore }> {
  let location: S3Location;
  try {
    location = parseS3Uri(uri);
  } catch {
    throw new AlignSamError("MODEL_MANIFEST", `not an S3 URI: "${uri}" (expected s3://bucket/prefix)`);
  }
  return { location, store: await openBlobStore(uri, { s3Client }) };
}

/** Downloads one file of the package to `dest` atomically; MODEL_MANIFEST naming it when that fails. */
export async function downloadPackageFile(store: BlobStore, path: string, dest: string): Promise<void> {
  try {
    await store.download(path, dest);
  } catch (e) {
    const where = `${store.location.replace(/\/$/, "")}/${path}`;
    throw new AlignSamError(
      "MODEL_MANIFEST",
      `could not download ${where}: ${(e as Error).name}: ${(e as Error).message}`,
    );
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
