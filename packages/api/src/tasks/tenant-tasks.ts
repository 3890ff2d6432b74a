/**
 * Tasks as one tenant sees them: the built-in tasks (global, read-only) and the tenant's own, stored
 * under `tenants/<t>/tasks/<name>.json`. Another tenant's tasks are invisible: the same name is
 * simply unknown to it.
 */
import {
  AlignSamError,
  type TaskDefinition,
  type TenantTask,
  TenantTaskSchema,
  tenantTaskKey,
  tenantTasksPrefix,
} from "@alignsam/core/light";
import type { RouteContext } from "../http/context.ts";

/** Own tasks listed at most (a tenant defines tasks by hand, not by the thousand). */
export const MAX_OWN_TASKS = 200;

export async function listOwnTasks(ctx: RouteContext, tenant: string): Promise<TenantTask[]> {
  const prefix = tenantTasksPrefix(tenant);
  const keys = (await ctx.store.listKeys(prefix, MAX_OWN_TASKS)).filter((k) => k.endsWith(".json"));
  const tasks = await Promise.all(keys.map((k) => ctx.store.getJson(k, TenantTaskSchema)));
  return tasks.filter((t): t is TenantTask => t !== undefined);
}

export async function readOwnTask(
  ctx: RouteContext,
  tenant: string,
  name: string,
): Promise<TaskDefinition | undefined> {
  return (await ctx.store.getJson(tenantTaskKey(tenant, name), TenantTaskSchema))?.definition;
}

/**
 * A task the tenant may name: built in, or its own. UNKNOWN_TASK (400) lists both kinds.
 */
export async function taskFor(ctx: RouteContext, tenant: string, name: string): Promise<TaskDefinition> {
  if (ctx.tasks.has(name)) return ctx.tasks.get(name);
  const own = /^[a-z0-9][a-z0-9_-]{0,63}$/.test(name) ? await readOwnTask(ctx, tenant, name) : undefined;
  if (own) return own;
  const valid = [...ctx.tasks.names(), ...(await listOwnTasks(ctx, tenant)).map((t) => t.definition.name)];
  throw new AlignSamError(
    "UNKNOWN_TASK",
    `unknown task "${name}"; expected one of: ${valid.join(", ")} (define your own with POST /v1/tasks)`,
    { valid },
  );
}
