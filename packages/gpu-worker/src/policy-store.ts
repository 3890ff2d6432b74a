/**
 * The policy store in S3: versions under `policies/<task>/<version>/`, and the pointer
 * `policies/<task>/current.json` naming the version that serves a task. A version's files are
 * written before any pointer names it.
 */
import {
  AlignSamError,
  type CurrentPolicyPointer,
  CurrentPolicyPointerSchema,
  policyCurrentKey,
  policyFileKey,
  policyPrefix,
  type TaskDefinition,
  TaskDefinitionSchema,
  type TaskRegistry,
} from "@alignsam/core/light";
import type { StoredPolicy } from "./engine.ts";
import type { Storage } from "./storage.ts";

export function readCurrentPointer(
  storage: Storage,
  task: string,
): Promise<CurrentPolicyPointer | undefined> {
  return storage.getJson(policyCurrentKey(task), CurrentPolicyPointerSchema);
}

/** Load one version's files; undefined when the version has none. */
export async function loadPolicyVersion(
  storage: Storage,
  task: string,
  version: string,
): Promise<StoredPolicy | undefined> {
  const prefix = policyPrefix(task, version);
  const keys = await storage.list(prefix);
  if (keys.length === 0) return undefined;
  const files = new Map<string, Uint8Array>();
  for (const key of keys.sort()) {
    const bytes = await storage.getBytes(key);
    if (bytes) files.set(key.slice(prefix.length), bytes);
  }
  return { task, version, files };
}

/**
 * The policy a job should follow: the named version (which must exist), else the task's current
 * one, else null (the task has never been trained).
 */
export async function resolvePolicy(
  storage: Storage,
  task: string,
  version?: string,
): Promise<StoredPolicy | null> {
  if (version !== undefined) {
    const policy = await loadPolicyVersion(storage, task, version);
    if (!policy) {
      throw new AlignSamError("POLICY_NOT_FOUND", `task "${task}" has no policy version "${version}"`, {
        task,
        version,
      });
    }
    return policy;
  }
  const pointer = await readCurrentPointer(storage, task);
  if (!pointer) return null;
  const policy = await loadPolicyVersion(storage, task, pointer.version);
  if (!policy) {
    throw new AlignSamError(
      "POLICY_NOT_FOUND",
      `current policy "${pointer.version}" of task "${task}" has no files`,
      {
        task,
        version: pointer.version,
      },
    );
  }
  return policy;
}

/** Write a version's files (idempotent: same names, same bytes on a rerun). */
export async function savePolicyVersion(storage: Storage, policy: StoredPolicy): Promise<void> {
  for (const [name, bytes] of policy.files) {
    await storage.putBytes(
      policyFileKey(policy.task, policy.version, name),
      bytes,
      "application/octet-stream",
    );
  }
}

export async function writeCurrentPointer(storage: Storage, pointer: CurrentPolicyPointer): Promise<void> {
  await storage.putJson(policyCurrentKey(pointer.task), CurrentPolicyPointerSchema.parse(pointer));
}

/**
 * The definition of a task: the registry's for built-in tasks, else the one recorded in its policy's
 * card (a customer's own concept, defined when it was trained). UNKNOWN_TASK lists the built-ins.
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
