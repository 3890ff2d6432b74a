/**
 * Reading a service's configuration from environment variables, shared by the API and the worker
 * so both trim, fall back to AWS_REGION, name bad variables and mask secrets the same way.
 */
import type { z } from "zod";

/**
 * The variables the API and the worker both read (endpoints, region, bucket, jobs queue): one
 * table, so one environment file serves both services.
 */
export const SHARED_SERVICE_ENV = {
  s3Endpoint: "ALIGNSAM_S3_ENDPOINT",
  s3ForcePathStyle: "ALIGNSAM_S3_FORCE_PATH_STYLE",
  sqsEndpoint: "ALIGNSAM_SQS_ENDPOINT",
  region: "ALIGNSAM_REGION",
  bucket: "ALIGNSAM_BUCKET",
  queueUrl: "ALIGNSAM_QUEUE_URL",
} as const;

/**
 * Validate the variables named in `names` (config field -> variable) against `schema`, so a
 * misconfigured deployment fails at boot with one Error listing every bad variable by name. Blank
 * values count as unset; AWS_REGION is the fallback for a `region` field. `prepare` may convert raw
 * strings the schema does not coerce itself.
 *
 * @example
 * const config = readEnvConfig(WorkerConfigSchema, WORKER_ENV, process.env, "worker");
 */
export function readEnvConfig<S extends z.ZodType>(
  schema: S,
  names: Readonly<Record<string, string>>,
  env: Record<string, string | undefined>,
  what: string,
  prepare?: (raw: Record<string, unknown>) => void,
): z.output<S> {
  const raw: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(names)) {
    const value = env[name]?.trim();
    if (value) raw[field] = value;
  }
  if (raw.region === undefined && env.AWS_REGION) raw.region = env.AWS_REGION;
  prepare?.(raw);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const field = String(i.path[0] ?? "");
      return `${names[field] ?? field}: ${i.message}`;
    });
    throw new Error(`invalid ${what} configuration:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}

/** The configuration as printable values with the secret fields masked, for start-up log lines. */
export function maskSecrets(
  config: Readonly<Record<string, unknown>>,
  secretFields: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = secretFields.has(key) && value !== undefined ? "********" : value;
  }
  return out;
}
