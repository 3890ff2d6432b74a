/**
 * The HTTP API on Lambda: the Hono app's Lambda entry behind a function URL, linked to the bucket
 * and the queue (SST's links grant the IAM permissions) and configured through the same
 * environment variables as the Node entry (packages/api/src/config.ts).
 */
import type { DeploySettings } from "./settings.ts";

export interface ApiArgs {
  readonly settings: DeploySettings;
  readonly bucket: SstResource;
  readonly jobs: SstResource;
  readonly webhookSecret: SstResource;
  /** DynamoDB table of the quota counters (infra/aws/quota.ts). */
  readonly quotaTable: SstResource;
}

export function createApi({ settings, bucket, jobs, webhookSecret, quotaTable }: ApiArgs) {
  return new sst.aws.Function("Api", {
    handler: "packages/api/src/entry/lambda.handler",
    runtime: "nodejs24.x",
    architecture: "arm64",
    memory: "1024 MB",
    timeout: "30 seconds",
    url: true,
    link: [bucket, jobs, webhookSecret, quotaTable],
    environment: {
      ALIGNSAM_REGION: settings.region,
      ALIGNSAM_BUCKET: bucket.name,
      ALIGNSAM_QUEUE_URL: jobs.url,
      ALIGNSAM_WEBHOOK_SECRET: webhookSecret.value,
      ALIGNSAM_QUOTA_TABLE: quotaTable.name,
      // Lambda takes at most 6 MB of request payload, and binary bodies arrive base64-encoded
      // (4/3 larger): 4 MiB of image fits. Larger images go through POST /v1/uploads.
      ALIGNSAM_MAX_IMAGE_BYTES: String(4 * 1024 * 1024),
      ALIGNSAM_PRESIGN_EXPIRY_SECONDS: "900",
    },
  });
}
