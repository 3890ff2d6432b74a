/**
 * State and transport: one private bucket for every object (inputs, jobs, results, datasets,
 * policies), the jobs queue, and its dead-letter queue, which keeps a poison message after
 * `maxReceiveCount` receives instead of retrying it forever. Uploaded inputs expire after a day:
 * their keys start with the tenant (`tenants/<t>/inputs/`), which no lifecycle prefix can match for
 * every tenant, so a scheduled function deletes them (../input-expiry.ts says why not a tag filter).
 */
import { INPUT_TTL_SECONDS_DEFAULT } from "../input-expiry.ts";
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

  // Hourly, so an unused input lives at most a day and an hour.
  new sst.aws.Cron("InputJanitor", {
    schedule: "rate(1 hour)",
    function: {
      handler: "infra/aws/input-janitor.handler",
      runtime: "nodejs24.x",
      architecture: "arm64",
      timeout: "5 minutes",
      link: [bucket],
      environment: {
        ALIGNSAM_BUCKET: bucket.name,
        ALIGNSAM_INPUT_TTL_SECONDS: String(INPUT_TTL_SECONDS_DEFAULT),
      },
    },
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
