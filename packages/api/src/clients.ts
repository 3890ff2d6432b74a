/**
 * AWS clients from the configuration: on AWS nothing but the region; against the local emulator the
 * endpoints and path-style addressing it needs.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ApiConfig } from "./config.ts";

/**
 * The API answers people waiting on a request: when S3 or SQS is down it must say 503 within a few
 * seconds, not after the SDK's default retries and unbounded socket waits. Two attempts, a short
 * connect timeout, and a socket timeout long enough for a 10 MiB PUT.
 */
const API_PATH_CLIENT_OPTIONS = {
  maxAttempts: 2,
  retryMode: "standard",
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 },
} as const;

/**
 * Checksums only where S3 requires them. The SDK's default ("WHEN_SUPPORTED") adds a CRC32 of the
 * body it sees to every PutObject, and a presigned PUT has no body: the URL would carry
 * `x-amz-checksum-crc32=AAAAAA==` (the CRC32 of nothing), and S3 refuses any real image PUT to it.
 */
const PRESIGN_SAFE_CHECKSUMS = {
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
} as const;

/** Emulators accept any credentials; the SDK still needs some to sign with. */
const EMULATOR_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export function createClients(config: ApiConfig): { s3: S3Client; sqs: SQSClient } {
  const s3Endpoint = config.s3Endpoint;
  const sqsEndpoint = config.sqsEndpoint ?? s3Endpoint;
  const s3 = new S3Client({
    ...API_PATH_CLIENT_OPTIONS,
    ...PRESIGN_SAFE_CHECKSUMS,
    region: config.region,
    ...(s3Endpoint
      ? {
          endpoint: s3Endpoint,
          forcePathStyle: config.s3ForcePathStyle ?? true,
          credentials: EMULATOR_CREDENTIALS,
        }
      : { forcePathStyle: config.s3ForcePathStyle ?? false }),
  });
  const sqs = new SQSClient({
    ...API_PATH_CLIENT_OPTIONS,
    region: config.region,
    ...(sqsEndpoint ? { endpoint: sqsEndpoint, credentials: EMULATOR_CREDENTIALS } : {}),
  });
  return { s3, sqs };
}
