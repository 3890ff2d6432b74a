/**
 * AWS clients from the configuration: on AWS nothing but the region; against the local emulator the
 * endpoints and path-style addressing it needs.
 */
import { createS3Client, RETRY_PROFILES } from "@alignsam/core/storage";
import type { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ApiConfig } from "./config.ts";

/** Emulators accept any credentials; the SDK still needs some to sign with. */
const EMULATOR_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/**
 * The API answers people waiting on a request, so both clients use the "interactive" retry profile
 * (503 within seconds when S3 or SQS is down). The S3 client comes from core's one factory, which
 * also keeps presigned PUTs free of body checksums.
 */
export function createClients(config: ApiConfig): { s3: S3Client; sqs: SQSClient } {
  const s3Endpoint = config.s3Endpoint;
  const sqsEndpoint = config.sqsEndpoint ?? s3Endpoint;
  const s3 = createS3Client({
    retry: "interactive",
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
    ...RETRY_PROFILES.interactive,
    region: config.region,
    ...(sqsEndpoint ? { endpoint: sqsEndpoint, credentials: EMULATOR_CREDENTIALS } : {}),
  });
  return { s3, sqs };
}
