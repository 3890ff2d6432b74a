/**
 * Deployment knobs, each with a default and an environment override (ALIGNSAM_DEPLOY_*), validated
 * once so a typo fails the deploy before anything is created.
 */
import { z } from "zod";

export const DeploySettingsSchema = z.object({
  /** AWS region. @default "us-east-1" */
  region: z.string().min(1).default("us-east-1"),
  /** GPU instance type of the worker fleet (one worker task per GPU). @default "g5.xlarge" */
  gpuInstanceType: z
    .string()
    .regex(/^(g4dn|g5|g6|g6e|p3|p4d|p5)\.[a-z0-9]+$/)
    .default("g5.xlarge"),
  /** SSM parameter naming the ECS GPU-optimised AMI. */
  gpuAmiParameter: z
    .string()
    .default("/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"),
  /** Fewest workers (0 scales to zero when the queue is empty). @default 0 */
  minWorkers: z.coerce.number().int().min(0).default(0),
  /** Most workers (and GPU instances). @default 4 */
  maxWorkers: z.coerce.number().int().min(1).max(100).default(4),
  /** Target backlog: visible messages per running worker. @default 10 */
  messagesPerWorker: z.coerce.number().int().min(1).default(10),
  /** Receives before a message moves to the dead-letter queue (SQS maxReceiveCount). @default 5 */
  maxReceiveCount: z.coerce.number().int().min(1).max(1000).default(5),
  /** Visibility timeout of the jobs queue; the worker heartbeats to extend it. @default 120 */
  visibilityTimeoutSeconds: z.coerce.number().int().min(30).max(43_200).default(120),
  /** Worker image tag in the ECR repository (pushed by infra/worker/push.sh). @default "latest" */
  workerImageTag: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/)
    .default("latest"),
  /** Memory (MiB) reserved for a worker task: most of a g5.xlarge's 16 GiB. @default 14336 */
  workerMemoryMiB: z.coerce.number().int().min(1024).default(14_336),
  /** CPU units (1024 per vCPU) reserved for a worker task. @default 3584 */
  workerCpu: z.coerce.number().int().min(256).default(3584),
  /** Root volume of a GPU instance, GiB (the CUDA image is large). @default 100 */
  rootVolumeGiB: z.coerce.number().int().min(30).default(100),
  /** Days CloudWatch keeps worker logs. @default 30 */
  logRetentionDays: z.coerce.number().int().min(1).default(30),
});
export type DeploySettings = z.infer<typeof DeploySettingsSchema>;

const ENV: Record<keyof DeploySettings, string> = {
  region: "ALIGNSAM_DEPLOY_REGION",
  gpuInstanceType: "ALIGNSAM_DEPLOY_GPU_INSTANCE_TYPE",
  gpuAmiParameter: "ALIGNSAM_DEPLOY_GPU_AMI_PARAMETER",
  minWorkers: "ALIGNSAM_DEPLOY_MIN_WORKERS",
  maxWorkers: "ALIGNSAM_DEPLOY_MAX_WORKERS",
  messagesPerWorker: "ALIGNSAM_DEPLOY_MESSAGES_PER_WORKER",
  maxReceiveCount: "ALIGNSAM_DEPLOY_MAX_RECEIVE_COUNT",
  visibilityTimeoutSeconds: "ALIGNSAM_DEPLOY_VISIBILITY_TIMEOUT_SECONDS",
  workerImageTag: "ALIGNSAM_DEPLOY_WORKER_IMAGE_TAG",
  workerMemoryMiB: "ALIGNSAM_DEPLOY_WORKER_MEMORY_MIB",
  workerCpu: "ALIGNSAM_DEPLOY_WORKER_CPU",
  rootVolumeGiB: "ALIGNSAM_DEPLOY_ROOT_VOLUME_GIB",
  logRetentionDays: "ALIGNSAM_DEPLOY_LOG_RETENTION_DAYS",
};

/** Read the settings from the environment; throws naming each bad variable. */
export function deploySettings(env: Record<string, string | undefined>): DeploySettings {
  const raw: Record<string, string> = {};
  for (const [field, name] of Object.entries(ENV)) {
    const v = env[name]?.trim();
    if (v) raw[field] = v;
  }
  const parsed = DeploySettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${ENV[i.path[0] as keyof DeploySettings]}: ${i.message}`);
    throw new Error(`invalid deployment settings:\n  ${why.join("\n  ")}`);
  }
  if (parsed.data.minWorkers > parsed.data.maxWorkers) {
    throw new Error(`${ENV.minWorkers} must not exceed ${ENV.maxWorkers}`);
  }
  return parsed.data;
}
