/**
 * State and transport: one private bucket for every object (inputs, jobs, results, datasets,
 * policies), the jobs queue, and its dead-letter queue, which keeps a poison message after
 * `maxReceiveCount` receives instead of retrying it forever.
 */
import type { DeploySettings } from "./settings.ts";

/** SQS's longest retention, so a dead letter waits two weeks for a human. */
const FOURTEEN_DAYS_SECONDS = 1_209_600;

export function createStorage(settings: DeploySettings) {
  const bucket = new sst.aws.Bucket("Data");

  // Replay markers of the retrain webhook only matter for its 5-minute window; keep a week.
  new aws.s3.BucketLifecycleConfigurationV2("DataLifecycle", {
    bucket: bucket.name,
    rules: [
      {
        id: "expire-webhook-replay-markers",
        status: "Enabled",
        filter: { prefix: "webhooks/seen/" },
        expiration: { days: 7 },
      },
      {
        id: "abort-incomplete-multipart",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ],
  });

  const deadLetters = new sst.aws.Queue("JobsDeadLetter", {
    transform: { queue: { messageRetentionSeconds: FOURTEEN_DAYS_SECONDS } },
  });
  const jobs = new sst.aws.Queue("Jobs", {
    visibilityTimeout: `${settings.visibilityTimeoutSeconds} seconds`,
    dlq: { queue: deadLetters.arn, retry: settings.maxReceiveCount },
    transform: { queue: { messageRetentionSeconds: FOURTEEN_DAYS_SECONDS, receiveWaitTimeSeconds: 20 } },
  });

  return { bucket, jobs, deadLetters };
}
