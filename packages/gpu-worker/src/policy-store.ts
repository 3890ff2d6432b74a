/**
 * The policy store in S3, per tenant: versions under `tenants/<t>/policies/<task>/<version>/`, and
 * the pointer `tenants/<t>/policies/<task>/current.json` naming the version that serves the task for
 * that tenant (with the history a rollback restores). A version's files are written before any
 * pointer names it. Nothing here reads or writes another tenant's prefix; the bundled policies
 * (`policies/<task>/` in the repository) are the read-only default when a tenant has promoted none.
 * Messages sent without the API carry the tenant `public`.
 */
import {
  AlignSamError,
  DEFAULT_TENANT,
  type PolicyServed,
  type PromotionEntry,
  promotedPointer,
  type TaskDefinition,
  TaskDefinitionSchema,
  type TaskRegistry,
  type TenantPolicyPointer,
  TenantPolicyPointerSchema,
  TenantTaskSchema,
  tenantPolicyCurrentKey,
  tenantPolicyFileKey,
  tenantPolicyPrefix,
  tenantTaskKey,
} from "@alignsam/core/light";
import type { StoredPolicy } from "./engine.ts";
import type { Storage } from "./storage.ts";

export function readTenantPointer(
  storage: Storage,
  task: string,
  tenant: string = DEFAULT_TENANT,
): Promise<TenantPolicyPointer | undefined> {
  return storage.getJson(tenantPolicyCurrentKey(tenant, task), TenantPolicyPointerSchema);
}

/** The promoted version of the tenant's task, as a promotion entry (undefined: bundled serves). */
export async function readCurrentPointer(
  storage: Storage,
  task: string,
  tenant: string = DEFAULT_TENANT,
): Promise<PromotionEntry | undefined> {
  return (await readTenantPointer(storage, task, tenant))?.current;
}

/** Load one version's files; undefined when the version has none. */
export async function loadPolicyVersion(
  storage: Storage,
  task: string,
  version: string,
  tenant: string = DEFAULT_TENANT,
): Promise<StoredPolicy | undefined> {
  const prefix = tenantPolicyPrefix(tenant, task, version);
  const keys = await storage.list(prefix);
  if (keys.length === 0) return undefined;
  const files = new Map<string, Uint8Array>();
  for (const key of keys.sort()) {
    const bytes = await storage.getBytes(key);
    if (bytes) files.set(key.slice(prefix.length), bytes);
  }
  return { tenant, task, version, files };
}

/**
 * The policy a job should follow: the named version of the tenant (which must exist), else the
 * tenant's promoted one, else null (the bundled policy, if the deployment ships one).
 */
export async function resolvePolicy(
  storage: Storage,
  task: string,
  version?: string,
  tenant: string = DEFAULT_TENANT,
): Promise<StoredPolicy | null> {
  if (version !== undefined) {
    const policy = await loadPolicyVersion(storage, task, version, tenant);
    if (!policy) {
      throw new AlignSamError("POLICY_NOT_FOUND", `task "${task}" has no policy version "${version}"`, {
        task,
        version,
      });
    }
    return policy;
  }
  const pointer = await readCurrentPointer(storage, task, tenant);
  if (!pointer) return null;
  const policy = await loadPolicyVersion(storage, task, pointer.version, tenant);
  if (!policy) {
    throw new AlignSamError(
      "POLICY_NOT_FOUND",
      `current policy "${pointer.version}" of task "${task}" has no files`,
      { task, version: pointer.version },
    );
  }
  return policy;
}

/** What the job status names as the policy that served it. */
export function servedBy(task: string, policy: StoredPolicy | null): PolicyServed {
  return policy
    ? { source: "tenant", task, version: policy.version }
    : { source: "bundled", task, version: `bundled:${task}` };
}

/** Write a version's files (idempotent: same names, same bytes on a rerun). */
export async function savePolicyVersion(storage: Storage, policy: StoredPolicy): Promise<void> {
  const tenant = policy.tenant ?? DEFAULT_TENANT;
  for (const [name, bytes] of policy.files) {
    await storage.putBytes(
      tenantPolicyFileKey(tenant, policy.task, policy.version, name),
      bytes,
      "application/octet-stream",
    );
  }
}

/**
 * Make `entry` the tenant's current version of `task`, pushing the one it replaces onto the history.
 * Promoting the version already current changes nothing (a redelivered train job).
 */
export async function promoteVersion(
  storage: Storage,
  tenant: string,
  task: string,
  entry: PromotionEntry,
): Promise<TenantPolicyPointer> {
  const existing = await readTenantPointer(storage, task, tenant);
  const pointer = promotedPointer(existing, task, entry);
  if (pointer !== existing) await storage.putJson(tenantPolicyCurrentKey(tenant, task), pointer);
  return pointer;
}

/** Test and tooling helper: make `version` current for the tenant (`public` by default). */
export async function writeCurrentPointer(
  storage: Storage,
  pointer: { v?: 1; task: string; version: string; promotedAt: string; jobId?: string },
  tenant: string = DEFAULT_TENANT,
): Promise<void> {
  await promoteVersion(storage, tenant, pointer.task, {
    version: pointer.version,
    promotedAt: pointer.promotedAt,
    by: "promote",
    ...(pointer.jobId ? { jobId: pointer.jobId } : {}),
  });
}

/** A tenant's own task definition (POST /v1/tasks), if it defined one by that name. */
export async function readTenantTask(
  storage: Storage,
  tenant: string,
  name: string,
): Promise<TaskDefinition | undefined> {
  return (await storage.getJson(tenantTaskKey(tenant, name), TenantTaskSchema))?.definition;
}

/**
 * The definition of a task for a tenant: the registry's for built-in tasks, else the tenant's own
 * (POST /v1/tasks), else the one recorded in its policy's card (a task trained from a webhook's
 * definition). UNKNOWN_TASK lists the built-ins.
 */
export async function resolveTenantTask(
  storage: Storage,
  tasks: TaskRegistry,
  tenant: string,
  name: string,
  policy: StoredPolicy | null,
): Promise<TaskDefinition> {
  if (tasks.has(name)) return tasks.get(name);
  const own = await readTenantTask(storage, tenant, name);
  if (own) return own;
  return resolveTaskDefinition(tasks, name, policy);
}

/**
 * The definition of a task from the registry, else as recorded in its policy's card. UNKNOWN_TASK
 * lists the built-ins.
 */
export function resolveTaskDefinition(
  tasks: TaskRegistry,
  name: string,
  policy: StoredPolicy | null,
): TaskDefinition {
  if (tasks.has(name) || !policy) return tasks.get(name);
  const card = policy.files.get("card.json");
  const parsed = card
    ? TaskDefinitionSchema.safeParse(JSON.parse(Buffer.from(card).toString("utf8")).task)
    : undefined;
  if (!parsed?.success || parsed.data.name !== name) return tasks.get(name);
  return parsed.data;
}
