/**
 * Checks of a job's options that the worker would otherwise make only after the API answered 202:
 * a policy version the task does not have, a class the workers' vision-language prior does not
 * know, a callback host that does not resolve or resolves to a non-public address. Routes run them
 * before their first write, so a refused request stores and enqueues nothing.
 */
import {
  AlignSamError,
  CLASS_SYNONYMS,
  COCO_CLASSES,
  cocoClassOf,
  DEFAULT_TENANT,
  type TaskDefinition,
  tenantPolicyPrefix,
  tenantPolicyTaskPrefix,
} from "@alignsam/core/light";
import { checkCallbackHost } from "../http/callback-url.ts";
import type { RouteContext } from "../http/context.ts";

/** True for a task whose prior text is the caller's class (voc: `{class}`). */
export function isClassPrompted(task: TaskDefinition): boolean {
  return task.texts.some((t) => t.includes("{class}"));
}

/**
 * A class-prompted task's className must be one the workers' prior (CenterNet: the 80 COCO classes,
 * VOC names and synonyms, plurals, "a photo of a ..." forms) knows; the worker would fail the job
 * with TEXT_UNSUPPORTED otherwise.
 */
export function checkClassName(task: TaskDefinition, className: string | undefined): void {
  if (className === undefined || !isClassPrompted(task) || cocoClassOf(className) !== undefined) return;
  throw new AlignSamError(
    "TEXT_UNSUPPORTED",
    `className "${className}" is not a class task "${task.name}" knows; expected one of: ${COCO_CLASSES.join(", ")} (also accepted: ${Object.keys(CLASS_SYNONYMS).join(", ")})`,
    { field: "className", valid: [...COCO_CLASSES], synonyms: { ...CLASS_SYNONYMS } },
  );
}

/**
 * A named policy version must exist for the task, where the worker looks for it (the tenant's
 * `tenants/<t>/policies/<task>/<version>/`); POLICY_NOT_FOUND (404) lists the versions there are.
 */
export async function checkPolicyVersion(
  ctx: RouteContext,
  task: string,
  version: string | undefined,
  tenant: string = DEFAULT_TENANT,
): Promise<void> {
  if (version === undefined) return;
  if ((await ctx.store.listKeys(tenantPolicyPrefix(tenant, task, version), 1)).length > 0) return;
  const taskPrefix = tenantPolicyTaskPrefix(tenant, task);
  const versions = (await ctx.store.listFolders(taskPrefix))
    .map((f) => f.slice(taskPrefix.length, -1))
    .sort();
  const hint =
    versions.length > 0
      ? `expected one of: ${versions.join(", ")}`
      : "it has no stored versions; leave policyVersion out to use the task's current policy";
  throw new AlignSamError("POLICY_NOT_FOUND", `task "${task}" has no policy version "${version}"; ${hint}`, {
    field: "policyVersion",
    task,
    version,
    valid: versions,
  });
}

/** Every check above that applies to a job's options, cheapest first. */
export async function checkJobOptions(
  ctx: RouteContext,
  task: TaskDefinition,
  options: { policyVersion?: string; className?: string; callbackUrl?: string; tenant?: string },
): Promise<void> {
  checkClassName(task, options.className);
  await checkPolicyVersion(ctx, task.name, options.policyVersion, options.tenant);
  await checkCallbackHost(options.callbackUrl, { resolve: ctx.resolveHost });
}
