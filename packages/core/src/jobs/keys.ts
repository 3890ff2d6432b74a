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
 *                                                                      overlay.png, metrics.json,
 *                                                                      steps.json
 * tenants/<tenant>/jobs/<jobId>/results/training.json                  train: the promotion decision
 * tenants/<tenant>/evaluations/<evalId>/manifest.json                  EvaluationManifest
 * tenants/<tenant>/evaluations/<evalId>/shards/<n>/done.json           ShardDone (per-shard marker)
 * tenants/<tenant>/evaluations/<evalId>/per-image/<imageId>.json       PerImageMetrics
 * tenants/<tenant>/evaluations/<evalId>/{summary.json,report.md}       the reduce step's output
 * tenants/<tenant>/policies/<task>/...                                 a tenant's versions (./tenant-policies.ts)
 * policies/<task>/<version>/<file>, policies/<task>/current.json       legacy global policies: no longer read or written
 * embeddings/<modelId>/<sha256>.bin                                    cached image embeddings
 * tenants/<tenant>/usage/<yyyy-mm-dd>/<jobId>/segment.json            UsageRecord: one segmented image
 * tenants/<tenant>/usage/<yyyy-mm-dd>/<jobId>/images/<imageId>.json   UsageRecord: one evaluated (or batch) image
 * tenants/<tenant>/usage/<yyyy-mm-dd>/<jobId>/train.json              UsageRecord: one training run
 * tenants/<tenant>/reservations/<jobId>/<images>.<ms>.json           QuotaReservation (accepted, not metered)
 * tenants/<tenant>/quota/counter.json                                 quota counter (images admitted, not given back)
 * _system/keys/<sha256 of the secret>.json                            ApiKeyRecord (never the secret)
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
  "steps.json",
  "polygons.json",
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

/** Where every usage record of a tenant lives, partitioned by the day its job was accepted. */
export function usagePrefix(tenant: string): string {
  return `${tenantPrefix(tenant)}usage/`;
}

/** A billable unit of a job: the segmented image, one evaluated image, or the training run. */
export type UsageUnit =
  | { readonly kind: "segment" }
  | { readonly kind: "evaluation-image"; readonly imageId: string }
  | { readonly kind: "batch-image"; readonly imageId: string }
  | { readonly kind: "train" };

function usageDaySegment(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new AlignSamError("INVALID_ARGUMENT", `usage day "${day}" must be yyyy-mm-dd`);
  }
  return day;
}

/**
 * The one key of a billable unit: deterministic in (tenant, day the job was accepted, job, unit),
 * so a redelivered message or a retried write rewrites the record instead of adding a second one.
 */
export function usageRecordKey(tenant: string, day: string, jobId: string, unit: UsageUnit): string {
  const job = `${usagePrefix(tenant)}${usageDaySegment(day)}/${keySegment(jobId, "jobId")}/`;
  // An evaluation's and a batch's images share the layout (a job is one or the other).
  if (unit.kind === "evaluation-image" || unit.kind === "batch-image")
    return `${job}images/${keySegment(unit.imageId, "imageId")}.json`;
  return `${job}${unit.kind}.json`;
}

/** The usage records of one job accepted on `day` (what settling its quota reservation counts). */
export function usageJobPrefix(tenant: string, day: string, jobId: string): string {
  return `${usagePrefix(tenant)}${usageDaySegment(day)}/${keySegment(jobId, "jobId")}/`;
}

/** The tenant's quota counter: images admitted and not given back (see packages/api/src/usage/counter.ts). */
export function quotaCounterKey(tenant: string): string {
  return `${tenantPrefix(tenant)}quota/counter.json`;
}

/** What a usage key names, read from the key alone (so quotas are counted from a listing). */
export interface ParsedUsageKey {
  readonly day: string;
  readonly jobId: string;
  readonly unit: UsageUnit;
}

/** Inverse of usageRecordKey; undefined for anything else under the prefix. */
export function parseUsageKey(tenant: string, key: string): ParsedUsageKey | undefined {
  const prefix = usagePrefix(tenant);
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split("/");
  const [day, jobId] = parts;
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day) || !jobId || !KEY_SEGMENT_PATTERN.test(jobId))
    return undefined;
  if (parts.length === 3 && (parts[2] === "segment.json" || parts[2] === "train.json")) {
    return { day, jobId, unit: { kind: parts[2] === "segment.json" ? "segment" : "train" } };
  }
  // A batch's images read as evaluation-image: the key alone cannot tell, and quotas count both alike.
  if (parts.length === 4 && parts[2] === "images" && parts[3].endsWith(".json")) {
    return { day, jobId, unit: { kind: "evaluation-image", imageId: parts[3].slice(0, -".json".length) } };
  }
  return undefined;
}

/** Folder of a tenant's quota reservations (one per accepted job not yet metered in full). */
export function reservationsPrefix(tenant: string): string {
  return `${tenantPrefix(tenant)}reservations/`;
}

/** What a reservation holds, all in its key so a quota is counted from a listing without reads. */
export interface ReservationRef {
  readonly jobId: string;
  /** Images reserved (at least 1). */
  readonly images: number;
  /** When the API accepted the job, in ms since the epoch. */
  readonly createdAtMs: number;
}

/** `tenants/<t>/reservations/<jobId>/<images>.<createdAtMs>.json`. */
export function reservationKey(tenant: string, ref: ReservationRef): string {
  if (
    !Number.isInteger(ref.images) ||
    ref.images < 1 ||
    !Number.isInteger(ref.createdAtMs) ||
    ref.createdAtMs < 0
  ) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      "a reservation needs a positive whole number of images and a time",
    );
  }
  return `${reservationsPrefix(tenant)}${keySegment(ref.jobId, "jobId")}/${ref.images}.${ref.createdAtMs}.json`;
}

/** Inverse of reservationKey; undefined for anything else under the prefix. */
export function parseReservationKey(tenant: string, key: string): ReservationRef | undefined {
  const prefix = reservationsPrefix(tenant);
  if (!key.startsWith(prefix)) return undefined;
  const m = /^([^/]+)\/(\d{1,9})\.(\d{1,16})\.json$/.exec(key.slice(prefix.length));
  if (!m || !KEY_SEGMENT_PATTERN.test(m[1]) || m[1].includes("..")) return undefined;
  const images = Number(m[2]);
  return images >= 1 ? { jobId: m[1], images, createdAtMs: Number(m[3]) } : undefined;
}

/** Folder of API key records, outside every tenant (only the CLI and the API read it). */
export const API_KEYS_PREFIX = "_system/keys/";

/** An API key's record, found in O(1) by the SHA-256 of its secret (64 lower-case hex digits). */
export function apiKeyRecordKey(secretSha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(secretSha256)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      "an API key record is named by a SHA-256 as 64 lower-case hex",
    );
  }
  return `${API_KEYS_PREFIX}${secretSha256}.json`;
}
