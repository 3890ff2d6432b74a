/**
 * The one place an S3 client is made. Every package (API, worker, policy store, model registry,
 * CLI, infrastructure) calls createS3Client, so region, endpoint, credentials, addressing, checksums
 * and retries are decided here once.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { RETRY_PROFILES, type RetryProfile } from "./retry.ts";

export interface S3ClientOptions {
  /** @default the SDK's chain (AWS_REGION, the profile) */
  readonly region?: string;
  /** An S3-compatible endpoint (the local emulator). @default AWS (or AWS_ENDPOINT_URL_S3) */
  readonly endpoint?: string;
  /** @default true with an endpoint (or AWS_ENDPOINT_URL_S3), else false */
  readonly forcePathStyle?: boolean;
  /** @default the SDK's credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Who waits on the answer (./retry.ts). @default "background" */
  readonly retry?: RetryProfile;
  /**
   * Checksums only where S3 requires them. The SDK's default ("WHEN_SUPPORTED") adds a CRC32 of the
   * body it sees to every PutObject, and a presigned PUT has no body: the URL would carry
   * `x-amz-checksum-crc32=AAAAAA==` (the CRC32 of nothing), and S3 refuses any real upload to it.
   * "WHEN_SUPPORTED" only to show that failure in a test. @default "WHEN_REQUIRED"
   */
  readonly checksums?: "WHEN_REQUIRED" | "WHEN_SUPPORTED";
}

/**
 * An S3 client; the caller destroys it when done.
 *
 * @example
 * const s3 = createS3Client({ region: "us-east-1", endpoint: "http://127.0.0.1:4566",
 *   credentials: { accessKeyId: "local", secretAccessKey: "local" } });
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const checksums = options.checksums ?? "WHEN_REQUIRED";
  return new S3Client({
    ...RETRY_PROFILES[options.retry ?? "background"],
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    forcePathStyle:
      options.forcePathStyle ?? (options.endpoint !== undefined || Boolean(process.env.AWS_ENDPOINT_URL_S3)),
  });
}
