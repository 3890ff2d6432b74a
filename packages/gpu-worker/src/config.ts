/**
 * The worker's configuration: one object, read once from the environment at start and validated,
 * so a misconfigured container fails at boot naming the variable. Shared names (bucket, queue,
 * endpoints, region) match the API's, so one environment file serves both.
 */
import { maskSecrets, readEnvConfig, SHARED_SERVICE_ENV } from "@alignsam/core/light";
import { z } from "zod";

const seconds = (def: number, max = 43_200) => z.coerce.number().int().min(0).max(max).default(def);
const flag = z.preprocess((v) => (typeof v === "string" ? /^(1|true|yes)$/i.test(v) : v), z.boolean());

export const WorkerConfigSchema = z
  .object({
    /** S3 endpoint (an emulator on loopback); absent on AWS. */
    s3Endpoint: z.url().optional(),
    /** Path-style S3 addressing, which loopback emulators need. @default true when s3Endpoint is set */
    s3ForcePathStyle: flag.optional(),
    /** SQS endpoint; absent on AWS. @default s3Endpoint (fauxqs serves both on one port) */
    sqsEndpoint: z.url().optional(),
    /** @default "us-east-1" */
    region: z.string().min(1).default("us-east-1"),
    /** The bucket holding inputs, jobs, results, datasets and policies. */
    bucket: z.string().min(3).max(63),
    /** The jobs queue this worker consumes (and sends eval-reduce messages to). */
    queueUrl: z.url(),
    /** The dead-letter queue, for the start-up log only: the redrive policy lives on the queue. */
    dlqUrl: z.url().optional(),
    /** Messages handled at once by one process (SQS batch size, 1-10). @default 1 */
    concurrency: z.coerce.number().int().min(1).max(10).default(1),
    /** Seconds a received message stays hidden; heartbeats extend it while a job runs. @default 120 */
    visibilityTimeoutSeconds: seconds(120).pipe(z.number().min(1)),
    /** Seconds between visibility extensions; must be below the visibility timeout. @default 30 */
    heartbeatSeconds: seconds(30).pipe(z.number().min(1)),
    /** Long-polling wait, in seconds (0-20). @default 20 */
    waitTimeSeconds: seconds(20, 20),
    /** The queue's maxReceiveCount: on that receive a failing job is marked failed. @default 5 */
    maxReceives: z.coerce.number().int().min(1).max(1000).default(5),
    /** Seconds before a message whose handler threw becomes visible again. @default 10 */
    retryDelaySeconds: seconds(10),
    /** Seconds SIGTERM waits for in-flight jobs before releasing their messages. @default 30 */
    shutdownGraceSeconds: seconds(30, 3600),
    /** HMAC key signing completion callbacks; absent: callbacks are sent unsigned. */
    callbackSecret: z.string().min(16).optional(),
    /** Largest labelled set a train job loads into memory; bigger sets are refused. @default 500 */
    maxTrainImages: z.coerce.number().int().min(2).max(100_000).default(500),
    /**
     * Largest image a job decodes, in pixels (from the header, before decoding): core's
     * DEFAULT_MAX_PIXELS and the API's default, one environment variable for both. @default 25_000_000
     */
    maxImagePixels: z.coerce.number().int().positive().default(25_000_000),
    /**
     * Long side, in px, jobs decode images to (larger ones shrink while decoding, and results are
     * scaled back to the input's size): bounds a job's pixel memory. At least SAM's 1024. @default 2048
     */
    workingImageSide: z.coerce.number().int().min(1024).max(8192).default(2048),
    /**
     * MiB of image embeddings kept across jobs (keyed by pixels and model), so an image segmented
     * again, or an evaluation re-run, skips the encoder; 0 turns the cache off. @default 256
     */
    embeddingCacheMb: z.coerce.number().int().min(0).max(1_000_000).default(256),
    /** Entries (files and folders) one dataset archive may hold; more refuses it whole. @default 5000 */
    maxArchiveEntries: z.coerce.number().int().min(1).max(1_000_000).default(5000),
    /** Bytes a dataset archive may inflate to, counted while inflating; more refuses it whole. @default 512 MiB */
    maxArchiveTotalBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(512 * 1024 * 1024),
    /** Bytes one file of a dataset archive may inflate to; a larger file is refused alone. @default 32 MiB */
    maxArchiveFileBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(32 * 1024 * 1024),
    /**
     * A SAM model package (folder, manifest.json, file:// or s3:// URI; packages/core/src/models/
     * manifest/README.md): when set, the worker segments with it through onnxruntime-node instead of
     * the weight-free classic backend, and serves the policies trained on it. @default unset (classic)
     */
    samManifest: z.string().min(1).optional(),
    /** onnxruntime intra-op threads per session (0: onnxruntime's default, one per core). @default 0 */
    onnxThreads: z.coerce.number().int().min(0).max(256).default(0),
    /** Name in logs (e.g. worker-2). @default "worker-<pid>" */
    workerId: z.string().min(1).default(`worker-${process.pid}`),
    /**
     * Fault injection for tests: hold a job this many ms after marking it running, on its first
     * receive only, so a test can kill the process mid-job. @default 0
     */
    faultHoldFirstAttemptMs: z.coerce.number().int().min(0).max(600_000).default(0),
  })
  .refine((c) => c.heartbeatSeconds < c.visibilityTimeoutSeconds, {
    message: "heartbeat must be shorter than the visibility timeout",
    path: ["heartbeatSeconds"],
  });
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

/** Environment variable of each field. */
export const WORKER_ENV = {
  ...SHARED_SERVICE_ENV,
  dlqUrl: "ALIGNSAM_DLQ_URL",
  concurrency: "ALIGNSAM_WORKER_CONCURRENCY",
  visibilityTimeoutSeconds: "ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS",
  heartbeatSeconds: "ALIGNSAM_HEARTBEAT_SECONDS",
  waitTimeSeconds: "ALIGNSAM_WAIT_TIME_SECONDS",
  maxReceives: "ALIGNSAM_MAX_RECEIVES",
  retryDelaySeconds: "ALIGNSAM_RETRY_DELAY_SECONDS",
  shutdownGraceSeconds: "ALIGNSAM_SHUTDOWN_GRACE_SECONDS",
  callbackSecret: "ALIGNSAM_CALLBACK_SECRET",
  maxTrainImages: "ALIGNSAM_MAX_TRAIN_IMAGES",
  maxImagePixels: "ALIGNSAM_MAX_IMAGE_PIXELS",
  workingImageSide: "ALIGNSAM_WORKING_IMAGE_SIDE",
  embeddingCacheMb: "ALIGNSAM_EMBEDDING_CACHE_MB",
  maxArchiveEntries: "ALIGNSAM_MAX_ARCHIVE_ENTRIES",
  maxArchiveTotalBytes: "ALIGNSAM_MAX_ARCHIVE_TOTAL_BYTES",
  maxArchiveFileBytes: "ALIGNSAM_MAX_ARCHIVE_FILE_BYTES",
  samManifest: "ALIGNSAM_SAM_MANIFEST",
  onnxThreads: "ALIGNSAM_ONNX_THREADS",
  workerId: "ALIGNSAM_WORKER_ID",
  faultHoldFirstAttemptMs: "ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS",
} as const satisfies Record<keyof WorkerConfig, string>;

const SECRET_FIELDS: ReadonlySet<string> = new Set(["callbackSecret"]);

/**
 * Read the configuration from the environment (see WORKER_ENV; AWS_REGION is the region's
 * fallback). Throws one Error listing every bad variable by name.
 *
 * @example
 * const config = loadWorkerConfig(process.env);
 */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  return readEnvConfig(WorkerConfigSchema, WORKER_ENV, env, "worker");
}

/** The configuration as printable values, secrets masked, for the start-up log. */
export function describeWorkerConfig(config: WorkerConfig): Record<string, unknown> {
  return maskSecrets(config, SECRET_FIELDS);
}
