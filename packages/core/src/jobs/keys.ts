/**
 * The S3 key layout, in one place. Every object the API and the worker share lives under a key
 * built here, from segments that are validated so that no caller-supplied id can climb out of its
 * tenant's prefix ("..", "/", control characters and the like are refused).
 *
 * ```
 * tenants/<tenant>/inputs/<uploadId>                                   uploaded image bytes
 * tenants/<tenant>/datasets/<datasetId>/{images,masks}/<file>          labelled sets (eval, retrain)
 * tenants/<tenant>/jobs/<jobId>/status.json                            JobStatus (written last)
 * tenants/<tenant>/jobs/<jobId>/results/<name>                         mask.png, probability.png,
 *                                                                      rle.json, trajectory.json,
 *                                                                      overlay.png, metrics.json
 * tenants/<tenant>/jobs/<jobId>/results/training.json                  train: the promotion decision
 * tenants/<tenant>/evaluations/<evalId>/manifest.json                  EvaluationManifest
 * tenants/<tenant>/evaluations/<evalId>/shards/<n>/done.json           ShardDone (per-shard marker)
 * tenants/<tenant>/evaluations/<evalId>/per-image/<imageId>.json       PerImageMetrics
 * tenants/<tenant>/evaluations/<evalId>/{summary.json,report.md}       the reduce step's output
 * policies/<task>/<version>/<file>                                     a trained policy version
 * policies/<task>/current.json                                         CurrentPolicyPointer
 * embeddings/<modelId>/<sha256>.bin                                    cached image embeddings
 * usage/<tenant>/<yyyy-mm-dd>/<jobId>.<unit>.json                      reserved (metering)
 * ```
 */
import { z } from "zod";
import { AlignSamError } from "../errors.ts";

/** Tenant used until API keys map callers to tenants. */
export const DEFAULT_TENANT = "public";

/**
 * One key segment: letters, digits, '.', '_', '-', starting with a letter or digit, at most 128
 * characters, never containing "..". Ids the API mints (UUIDs, ULIDs) and task names all fit.
 */
export const KEY_SEGMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const KeySegmentSchema = z
  .string()
  .regex(KEY_SEGMENT_PATTERN, "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit")
  .refine((s) => !s.includes(".."), "must not contain '..'");

/** Names a job may write under its results/ prefix. */
export const RESULT_NAMES = [
  "mask.png",
  "probability.png",
  "rle.json",
  "trajectory.json",
  "overlay.png",
  "metrics.json",
  "training.json",
] as const;
export type ResultName = (typeof RESULT_NAMES)[number];

/**
 * Refuse anything that is not a safe key segment, so ids from messages or URLs cannot traverse.
 * Throws INVALID_ARGUMENT naming the field.
 */
export function keySegment(value: string, what: string): string {
  const parsed = KeySegmentSchema.safeParse(value);
  if (!parsed.success) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `${what} "${value}" is not a valid key segment: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'`,
      { field: what, value },
    );
  }
  return value;
}

/** Prefix every tenant-owned object lives under. */
export function tenantPrefix(tenant: string): string {
  return `tenants/${keySegment(tenant, "tenant")}/`;
}

export function inputKey(tenant: string, uploadId: string): string {
  return `${tenantPrefix(tenant)}inputs/${keySegment(uploadId, "uploadId")}`;
}

/** Root of a labelled set: `images/<id>.(jpg|png)` and `masks/<id>.png` beneath it. */
export function datasetPrefix(tenant: string, datasetId: string): string {
  return `${tenantPrefix(tenant)}datasets/${keySegment(datasetId, "datasetId")}/`;
}

export function jobPrefix(tenant: string, jobId: string): string {
  return `${tenantPrefix(tenant)}jobs/${keySegment(jobId, "jobId")}/`;
}

export function jobStatusKey(tenant: string, jobId: string): string {
  return `${jobPrefix(tenant, jobId)}status.json`;
}

export function jobResultKey(tenant: string, jobId: string, name: ResultName): string {
  if (!(RESULT_NAMES as readonly string[]).includes(name)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `unknown result "${name}"; expected one of: ${RESULT_NAMES.join(", ")}`,
      {
        valid: [...RESULT_NAMES],
      },
    );
  }
  return `${jobPrefix(tenant, jobId)}results/${name}`;
}

export function evaluationPrefix(tenant: string, evalId: string): string {
  return `${tenantPrefix(tenant)}evaluations/${keySegment(evalId, "evalId")}/`;
}

export function evaluationManifestKey(tenant: string, evalId: string): string {
  return `${evaluationPrefix(tenant, evalId)}manifest.json`;
}

function shardSegment(shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard > 99_999) {
    throw new AlignSamError("INVALID_ARGUMENT", `shard index ${shard} must be an integer in [0, 99999]`);
  }
  return String(shard);
}

/** Folder of one shard's private objects. */
export function evaluationShardPrefix(tenant: string, evalId: string, shard: number): string {
  return `${evaluationPrefix(tenant, evalId)}shards/${shardSegment(shard)}/`;
}

/** Parent of all shard folders: list it to count finished shards. */
export function evaluationShardsPrefix(tenant: string, evalId: string): string {
  return `${evaluationPrefix(tenant, evalId)}shards/`;
}

/** A shard's "done" marker: the last object a shard writes. */
export function evaluationShardDoneKey(tenant: string, evalId: string, shard: number): string {
  return `${evaluationShardPrefix(tenant, evalId, shard)}done.json`;
}

export function evaluationPerImageKey(tenant: string, evalId: string, imageId: string): string {
  return `${evaluationPrefix(tenant, evalId)}per-image/${keySegment(imageId, "imageId")}.json`;
}

export function evaluationSummaryKey(tenant: string, evalId: string): string {
  return `${evaluationPrefix(tenant, evalId)}summary.json`;
}

export function evaluationReportKey(tenant: string, evalId: string): string {
  return `${evaluationPrefix(tenant, evalId)}report.md`;
}

export function policyPrefix(task: string, version: string): string {
  return `policies/${keySegment(task, "task")}/${keySegment(version, "policy version")}/`;
}

/** One file of a stored policy version (e.g. "policy.json", "weights.bin"). */
export function policyFileKey(task: string, version: string, file: string): string {
  return `${policyPrefix(task, version)}${keySegment(file, "policy file")}`;
}

/** Pointer to the version that serves a task (a CurrentPolicyPointer document). */
export function policyCurrentKey(task: string): string {
  return `policies/${keySegment(task, "task")}/current.json`;
}

/** Cached embedding: content-addressed by the image bytes' SHA-256 (64 lower-case hex digits). */
export function embeddingKey(modelId: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new AlignSamError("INVALID_ARGUMENT", "embedding key needs a SHA-256 as 64 lower-case hex digits");
  }
  return `embeddings/${keySegment(modelId, "modelId")}/${sha256}.bin`;
}

/**
 * Reserved for metering: one record per job and unit, so a redelivered job rewrites the same key
 * instead of counting twice.
 */
export function usageKey(tenant: string, day: string, jobId: string, unit: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new AlignSamError("INVALID_ARGUMENT", `usage day "${day}" must be yyyy-mm-dd`);
  }
  return `usage/${keySegment(tenant, "tenant")}/${day}/${keySegment(jobId, "jobId")}.${keySegment(unit, "unit")}.json`;
}
