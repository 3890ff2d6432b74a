/**
 * The API's configuration: one object, read once from the environment at start and validated, so a
 * misconfigured deployment fails at boot with a message naming the variable instead of on the first
 * request.
 */
import { KeySegmentSchema, maskSecrets, readEnvConfig, SHARED_SERVICE_ENV } from "@alignsam/core/light";
import { z } from "zod";

export const ApiConfigSchema = z.object({
  /** TCP port of the Node entry. @default 3000 */
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the Node entry listens on (the local stack uses 127.0.0.1). @default all interfaces */
  host: z.string().min(1).optional(),
  /** S3 (or S3-compatible emulator) endpoint; absent on AWS, where the SDK's default is right. */
  s3Endpoint: z.url().optional(),
  /** Path-style addressing, needed by emulators on loopback. @default true when s3Endpoint is set */
  s3ForcePathStyle: z.boolean().optional(),
  /** SQS endpoint; absent on AWS. @default s3Endpoint (fauxqs serves both on one port) */
  sqsEndpoint: z.url().optional(),
  /** AWS region of the bucket and the queue. @default "us-east-1" */
  region: z.string().min(1).default("us-east-1"),
  /** The bucket that holds inputs, jobs, results, datasets and policies. */
  bucket: z.string().min(3).max(63),
  /** URL of the jobs queue the GPU workers consume. */
  queueUrl: z.url(),
  /**
   * Base URL clients reach this API at, for the status URLs it returns. Absent: the origin of each
   * request (right behind a Lambda function URL or API Gateway without a custom domain).
   */
  publicBaseUrl: z
    .url()
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  /** Largest accepted image upload, in bytes. @default 10 MiB */
  maxImageBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /**
   * Largest accepted image, in pixels (read from the header; nothing is decoded). 25 MP: a 24 MP
   * camera's full frame passes, while the models read at most 2048 px on the long side, so more
   * pixels would only cost the worker decode time. Equal to core's DEFAULT_MAX_PIXELS and the
   * worker's default (same variable). @default 25 MP
   */
  maxImagePixels: z.coerce.number().int().positive().default(25_000_000),
  /**
   * Largest dataset archive (POST /v1/datasets), in bytes, sent in the body or through a presigned
   * upload; its contents are bounded again by the worker's ALIGNSAM_MAX_ARCHIVE_* limits. @default 200 MiB
   */
  maxArchiveBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(200 * 1024 * 1024),
  /** Largest accepted JSON body, in bytes. @default 64 KiB */
  maxJsonBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  /** Shared secret of the retrain webhook (environment only; never logged). Absent: webhook refuses all. */
  webhookSecret: z.string().min(16).optional(),
  /** Lifetime of presigned S3 URLs, in seconds. @default 900 */
  presignExpirySeconds: z.coerce.number().int().min(1).max(604_800).default(900),
  /** Largest number of images in one evaluation request. @default 5000 */
  maxEvaluationImages: z.coerce.number().int().positive().default(5000),
  /** Images per evaluation shard (one SQS message each). @default 25 */
  evaluationShardSize: z.coerce.number().int().positive().default(25),
  /** Largest number of images in one batch (POST /v1/batches). @default 1000 */
  maxBatchImages: z.coerce.number().int().positive().max(100_000).default(1000),
  /** Images per batch shard (one SQS message each). @default 10 */
  batchShardSize: z.coerce.number().int().positive().default(10),
  /**
   * Tenant of requests that carry no Authorization header (local/dev only; `npm start` sets
   * "local"). Absent: every /v1 request needs `Authorization: Bearer <key>` (webhooks excepted).
   */
  anonymousTenant: KeySegmentSchema.optional(),
  /** Requests per minute per API key (anonymous: per tenant), counted by each API instance. @default 120 */
  rateLimitPerMinute: z.coerce.number().int().positive().default(120),
  /** Seconds an API instance caches a key lookup (so a revocation takes up to this long). @default 10 */
  keyCacheSeconds: z.coerce.number().int().min(0).max(3600).default(10),
  /**
   * DynamoDB table of the quota counters (AWS: declared in infra/aws/quota.ts). Absent: the counters
   * are S3 objects updated with conditional writes (packages/api/src/usage/counter.ts).
   */
  quotaTable: z.string().min(3).max(255).optional(),
});
export type ApiConfig = z.infer<typeof ApiConfigSchema>;

/** Environment variable of each field: one place, so docs, infra and code agree. */
export const API_ENV = {
  port: "PORT",
  host: "ALIGNSAM_API_HOST",
  ...SHARED_SERVICE_ENV,
  publicBaseUrl: "ALIGNSAM_PUBLIC_BASE_URL",
  maxImageBytes: "ALIGNSAM_MAX_IMAGE_BYTES",
  maxImagePixels: "ALIGNSAM_MAX_IMAGE_PIXELS",
  maxArchiveBytes: "ALIGNSAM_MAX_ARCHIVE_BYTES",
  maxJsonBytes: "ALIGNSAM_MAX_JSON_BYTES",
  webhookSecret: "ALIGNSAM_WEBHOOK_SECRET",
  presignExpirySeconds: "ALIGNSAM_PRESIGN_EXPIRY_SECONDS",
  maxEvaluationImages: "ALIGNSAM_MAX_EVALUATION_IMAGES",
  evaluationShardSize: "ALIGNSAM_EVALUATION_SHARD_SIZE",
  maxBatchImages: "ALIGNSAM_MAX_BATCH_IMAGES",
  batchShardSize: "ALIGNSAM_BATCH_SHARD_SIZE",
  anonymousTenant: "ALIGNSAM_ANONYMOUS_TENANT",
  rateLimitPerMinute: "ALIGNSAM_RATE_LIMIT_PER_MINUTE",
  keyCacheSeconds: "ALIGNSAM_KEY_CACHE_SECONDS",
  quotaTable: "ALIGNSAM_QUOTA_TABLE",
} as const satisfies Record<keyof ApiConfig, string>;

const SECRET_FIELDS: ReadonlySet<keyof ApiConfig> = new Set(["webhookSecret"]);

/**
 * Read the configuration from environment variables (see API_ENV); AWS_REGION is the fallback
 * region so a Lambda needs nothing extra. Throws a ZodError naming each bad variable.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): ApiConfig {
  return readEnvConfig(ApiConfigSchema, API_ENV, env, "API", (raw) => {
    if (typeof raw.s3ForcePathStyle === "string") {
      raw.s3ForcePathStyle = /^(1|true|yes)$/i.test(raw.s3ForcePathStyle);
    }
  });
}

/** The configuration as printable text, secrets masked, for the start-up log line. */
export function describeConfig(config: ApiConfig): Record<string, unknown> {
  return maskSecrets(config, SECRET_FIELDS);
}
