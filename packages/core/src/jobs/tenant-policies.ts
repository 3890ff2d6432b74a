/**
 * Tenant-scoped tasks and policies. Built-in tasks and the policies bundled with the deployment
 * (`policies/<task>/` in the repository, served as `bundled:<task>`) are global read-only defaults;
 * everything a tenant defines or trains lives under its own prefix:
 *
 * ```
 * tenants/<t>/tasks/<name>.json                         TenantTask (the tenant's own task definition)
 * tenants/<t>/policies/<task>/<version>/<file>          a trained version (card.json, weights.*)
 * tenants/<t>/policies/<task>/current.json              TenantPolicyPointer: serving version + history
 * tenants/<t>/webhook/secret.json                       WebhookSecretRecord (HMAC key of the retrain webhook)
 * ```
 *
 * A job follows, in order: the version it names, else the tenant's promoted version, else the
 * bundled policy. The worker records which one on the job status (`policy`).
 */
import { z } from "zod";
import { TaskDefinitionSchema, TaskNameSchema } from "../tasks/registry.ts";
import { KeySegmentSchema, keySegment, tenantPrefix } from "./keys.ts";
import { PolicyScoreSchema } from "./policy.ts";

export function tenantTasksPrefix(tenant: string): string {
  return `${tenantPrefix(tenant)}tasks/`;
}

export function tenantTaskKey(tenant: string, task: string): string {
  return `${tenantTasksPrefix(tenant)}${keySegment(task, "task")}.json`;
}

/** Folder of every version of a tenant's task (and its current.json). */
export function tenantPolicyTaskPrefix(tenant: string, task: string): string {
  return `${tenantPrefix(tenant)}policies/${keySegment(task, "task")}/`;
}

export function tenantPolicyPrefix(tenant: string, task: string, version: string): string {
  return `${tenantPolicyTaskPrefix(tenant, task)}${keySegment(version, "policy version")}/`;
}

export function tenantPolicyFileKey(tenant: string, task: string, version: string, file: string): string {
  return `${tenantPolicyPrefix(tenant, task, version)}${keySegment(file, "policy file")}`;
}

export function tenantPolicyCurrentKey(tenant: string, task: string): string {
  return `${tenantPolicyTaskPrefix(tenant, task)}current.json`;
}

/** The tenant's retrain-webhook secret (HMAC needs the secret itself, so it is stored, tenant-private). */
export function webhookSecretKey(tenant: string): string {
  return `${tenantPrefix(tenant)}webhook/secret.json`;
}

/** A task a tenant defined (POST /v1/tasks). */
export const TenantTaskSchema = z.object({
  v: z.literal(1),
  tenant: KeySegmentSchema,
  definition: TaskDefinitionSchema,
  createdAt: z.iso.datetime(),
  /** API key id that defined it (absent for the anonymous local tenant). */
  keyId: z.string().max(64).optional(),
});
export type TenantTask = z.infer<typeof TenantTaskSchema>;

/** One promotion: which version, when, and what made it (a training job, or a manual promote). */
export const PromotionEntrySchema = z.object({
  version: KeySegmentSchema,
  promotedAt: z.iso.datetime(),
  /** "training" (promoted by the run that trained it), "promote" (POST .../promote), "rollback". */
  by: z.enum(["training", "promote", "rollback"]),
  jobId: KeySegmentSchema.optional(),
  keyId: z.string().max(64).optional(),
  score: PolicyScoreSchema.optional(),
});
export type PromotionEntry = z.infer<typeof PromotionEntrySchema>;

/**
 * The version serving a tenant's task and the ones it replaced (newest last), so a rollback
 * restores the previous one; a rollback with an empty history goes back to the bundled policy.
 */
export const TenantPolicyPointerSchema = z.object({
  v: z.literal(1),
  task: TaskNameSchema,
  current: PromotionEntrySchema,
  history: z.array(PromotionEntrySchema).max(100).default([]),
});
export type TenantPolicyPointer = z.infer<typeof TenantPolicyPointerSchema>;

/** How many replaced versions a pointer remembers (the schema's bound). */
const POINTER_HISTORY = 100;

/**
 * The pointer after promoting `entry`: the version it replaces goes onto the history (the oldest
 * dropped past 100). Promoting the version already current returns `existing` unchanged (a
 * redelivered training job, a repeated POST .../promote), so the caller writes nothing.
 */
export function promotedPointer(
  existing: TenantPolicyPointer | undefined,
  task: string,
  entry: PromotionEntry,
): TenantPolicyPointer {
  if (existing?.current.version === entry.version) return existing;
  return TenantPolicyPointerSchema.parse({
    v: 1,
    task,
    current: entry,
    history: existing ? [...existing.history, existing.current].slice(-POINTER_HISTORY) : [],
  });
}

/**
 * The pointer after a rollback: the newest replaced version serves again, stamped as a rollback at
 * `at`; null when the history is empty (the bundled policy serves again).
 */
export function rolledBackPointer(
  pointer: TenantPolicyPointer,
  at: string,
  keyId?: string,
): TenantPolicyPointer | null {
  const previous = pointer.history.at(-1);
  if (!previous) return null;
  return TenantPolicyPointerSchema.parse({
    v: 1,
    task: pointer.task,
    current: { ...previous, promotedAt: at, by: "rollback", ...(keyId ? { keyId } : {}) },
    history: pointer.history.slice(0, -1),
  });
}

/** Which policy served a job (written on its status by the worker). */
export const PolicyServedSchema = z.object({
  source: z.enum(["tenant", "bundled"]),
  task: z.string().min(1),
  /** The tenant's version id, or "bundled:<task>". */
  version: z.string().min(1),
});
export type PolicyServed = z.infer<typeof PolicyServedSchema>;

/** Live progress of a training run, on its job status while it runs. */
export const TrainingProgressSchema = z.object({
  phase: z.enum(["loading", "encode", "srm", "ppo", "evaluate", "done"]),
  episodesDone: z.int().min(0),
  episodesTotal: z.int().min(0),
  /** Mean reward of the last PPO episode. */
  reward: z.number().nullable(),
  /** Last SRM fit loss reported (one per SRM epoch). */
  srmLoss: z.number().nullable(),
  elapsedSeconds: z.number().min(0),
  /** Rough estimate from the PPO phase's pace; null before the first episode. */
  etaSeconds: z.number().min(0).nullable(),
});
export type TrainingProgress = z.infer<typeof TrainingProgressSchema>;

export const WebhookSecretRecordSchema = z.object({
  v: z.literal(1),
  tenant: KeySegmentSchema,
  /** The HMAC key itself (verification needs it); only the tenant's API and this record hold it. */
  secret: z.string().min(32),
  createdAt: z.iso.datetime(),
  keyId: z.string().max(64).optional(),
});
export type WebhookSecretRecord = z.infer<typeof WebhookSecretRecordSchema>;
