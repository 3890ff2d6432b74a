/**
 * A blob store from a location as users write it: `s3://bucket/prefix` (the S3 adapter, on the
 * given client or one from the environment) or a folder path (the filesystem adapter). The AWS SDK
 * is imported only when an s3:// location is opened, so local folders cost nothing more.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { BlobStore } from "./blob-store.ts";
import { createFsBlobStore } from "./fs-store.ts";
import { parseS3Uri } from "./s3-uri.ts";

export interface OpenBlobStoreOptions {
  /** The client for s3:// locations. @default createS3Client() (the environment's configuration) */
  readonly s3Client?: S3Client;
}

/**
 * @example
 * const store = await openBlobStore("s3://alignsam/policies/blur/v3");
 * const local = await openBlobStore("policies/blur");
 */
export async function openBlobStore(
  location: string,
  options: OpenBlobStoreOptions = {},
): Promise<BlobStore> {
  if (!location.startsWith("s3://")) return createFsBlobStore(location);
  const { bucket, prefix } = parseS3Uri(location);
  const [{ createS3Client }, { createS3BlobStore }] = await Promise.all([
    import("./s3-client.ts"),
    import("./s3-store.ts"),
  ]);
  return createS3BlobStore({ client: options.s3Client ?? createS3Client(), bucket, prefix });
}
