/**
 * A tenant's policy versions of a task, and what serves it:
 * - GET /v1/tasks/{task}/policies (also GET /v1/policies/{task}): every version the tenant trained,
 *   with its metrics and who/what made it (training job, dataset, key, time), the serving version
 *   and the promotion history; `serving` names the bundled policy when the tenant promoted none;
 * - POST /v1/tasks/{task}/policies/{version}/promote: serve that version (refused, 409, when the
 *   promotion guard refused it, with the guard's reason);
 * - POST /v1/tasks/{task}/rollback: serve the version the current one replaced (with none left, the
 *   bundled policy again).
 * Everything reads and writes `tenants/<caller>/policies/<task>/`; no other tenant sees a change.
 * Promote and rollback are last-writer-wins on current.json (a human's action, not a hot path).
 */
import {
  jobResultKey,
  type PromotionDecision,
  PromotionDecisionSchema,
  PromotionEntrySchema,
  promotedPointer,
  rolledBackPointer,
  type TenantPolicyPointer,
  TenantPolicyPointerSchema,
  tenantPolicyCurrentKey,
  tenantPolicyPrefix,
  tenantPolicyTaskPrefix,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { jsonResponse } from "../http/route-specs.ts";
import { pathParam, TaskParamSchema } from "../http/schemas.ts";
import { taskFor } from "../tasks/tenant-tasks.ts";

const VersionSchema = z.object({
  version: z.string(),
  current: z.boolean(),
  /** The decision of the run that trained it (absent for versions stored without a training job). */
  metrics: z
    .object({
      metric: z.string(),
      value: z.number(),
      heldOutImages: z.int(),
      pairedDifference: z.object({ mean: z.number(), standardError: z.number(), images: z.int() }).nullable(),
      comparedWith: z.string().nullable(),
    })
    .nullable(),
  promotable: z.boolean().nullable(),
  reason: z.string().nullable(),
  madeBy: z
    .object({
      trainingJobId: z.string(),
      dataset: z.string().nullable(),
      tenant: z.string(),
      keyId: z.string().nullable(),
      at: z.string(),
    })
    .nullable(),
});

const PolicyViewSchema = z
  .object({
    task: z.string(),
    serving: z.object({ source: z.enum(["tenant", "bundled"]), version: z.string() }),
    versions: z.array(VersionSchema),
    history: z
      .array(PromotionEntrySchema)
      .openapi({ description: "versions the current one replaced, oldest first" }),
  })
  .openapi("Policies");

const okPolicies = {
  200: jsonResponse("the task's policies", PolicyViewSchema),
};

/** The listing, at its path and at the older one it keeps answering. */
function listRouteAt<P extends string>(path: P, summary: string) {
  return createRoute({
    method: "get",
    path,
    summary,
    request: { params: TaskParamSchema },
    responses: { ...okPolicies, ...errorResponses(400, 401, 429) },
  });
}

const listRoute = listRouteAt(
  "/v1/tasks/{task}/policies",
  "Your policy versions of a task, their metrics and provenance",
);
const legacyListRoute = listRouteAt(
  "/v1/policies/{task}",
  "Your policy versions of a task (same as GET /v1/tasks/{task}/policies)",
);

const promoteRoute = createRoute({
  method: "post",
  path: "/v1/tasks/{task}/policies/{version}/promote",
  summary: "Serve one of your versions of a task",
  request: {
    params: TaskParamSchema.extend({ version: pathParam("version") }),
  },
  responses: { ...okPolicies, ...errorResponses(400, 401, 404, 409, 429) },
});

const rollbackRoute = createRoute({
  method: "post",
  path: "/v1/tasks/{task}/rollback",
  summary: "Serve the version the current one replaced (or the bundled policy)",
  request: { params: TaskParamSchema },
  responses: { ...okPolicies, ...errorResponses(400, 401, 409, 429) },
});

async function decisionOf(ctx: RouteContext, tenant: string, version: string) {
  try {
    return await ctx.store.getJson(jobResultKey(tenant, version, "training.json"), PromotionDecisionSchema);
  } catch {
    return undefined; // a version id that is not a job id
  }
}

function versionView(version: string, current: boolean, d: PromotionDecision | undefined, tenant: string) {
  return {
    version,
    current,
    metrics: d
      ? {
          metric: d.candidateScore.metric,
          value: d.candidateScore.value,
          heldOutImages: d.heldOutImages,
          pairedDifference: d.pairedDifference
            ? {
                mean: d.pairedDifference.mean,
                standardError: d.pairedDifference.standardError,
                images: d.pairedDifference.images,
              }
            : null,
          comparedWith: d.previousVersion ?? (d.previousSource === "bundled" ? `bundled:${d.task}` : null),
        }
      : null,
    promotable: d ? (d.promotable ?? d.promoted) : null,
    reason: d?.reason ?? null,
    madeBy: d
      ? {
          trainingJobId: d.jobId,
          dataset: d.datasetId ?? null,
          tenant: d.tenant ?? tenant,
          keyId: d.keyId ?? null,
          at: d.decidedAt,
        }
      : null,
  };
}

async function policyView(ctx: RouteContext, tenant: string, task: string) {
  const prefix = tenantPolicyTaskPrefix(tenant, task);
  const [folders, pointer] = await Promise.all([
    ctx.store.listFolders(prefix),
    ctx.store.getJson(tenantPolicyCurrentKey(tenant, task), TenantPolicyPointerSchema),
  ]);
  const names = folders.map((f) => f.slice(prefix.length, -1)).sort();
  const versions = await Promise.all(
    names.map(async (v) =>
      versionView(v, v === pointer?.current.version, await decisionOf(ctx, tenant, v), tenant),
    ),
  );
  return {
    task,
    serving: pointer
      ? { source: "tenant" as const, version: pointer.current.version }
      : { source: "bundled" as const, version: `bundled:${task}` },
    versions,
    history: pointer?.history ?? [],
  };
}

async function writePointer(
  ctx: RouteContext,
  tenant: string,
  pointer: TenantPolicyPointer | null,
  task: string,
) {
  const key = tenantPolicyCurrentKey(tenant, task);
  if (pointer) await ctx.store.putJson(key, TenantPolicyPointerSchema.parse(pointer));
  else await ctx.store.deleteKey(key);
}

export function registerPolicyRoutes(app: ApiApp, ctx: RouteContext): void {
  for (const r of [listRoute, legacyListRoute]) {
    app.openapi(r, async (c) => {
      const tenant = principalOf(c).tenant;
      const task = (await taskOrVersions(ctx, tenant, c.req.valid("param").task)).name;
      return c.json(await policyView(ctx, tenant, task), 200);
    });
  }

  app.openapi(promoteRoute, async (c) => {
    const { task: name, version } = c.req.valid("param");
    const principal = principalOf(c);
    const tenant = principal.tenant;
    const task = (await taskOrVersions(ctx, tenant, name)).name;
    if ((await ctx.store.listKeys(tenantPolicyPrefix(tenant, task, version), 1)).length === 0) {
      throw new HttpError(404, "POLICY_NOT_FOUND", `task "${task}" has no version "${version}" of yours`, {
        task,
        version,
      });
    }
    const decision = await decisionOf(ctx, tenant, version);
    if (decision && decision.promotable === false) {
      throw new HttpError(
        409,
        "PROMOTION_REFUSED",
        `version "${version}" cannot be promoted: ${decision.reason}`,
        {
          version,
          reason: decision.reason,
          guard: decision.guard,
        },
      );
    }
    const pointer = await ctx.store.getJson(tenantPolicyCurrentKey(tenant, task), TenantPolicyPointerSchema);
    const promoted = promotedPointer(pointer, task, {
      version,
      promotedAt: ctx.clock().toISOString(),
      by: "promote",
      ...(decision ? { jobId: decision.jobId, score: decision.candidateScore } : {}),
      ...(principal.keyId ? { keyId: principal.keyId } : {}),
    });
    if (promoted !== pointer) await writePointer(ctx, tenant, promoted, task);
    return c.json(await policyView(ctx, tenant, task), 200);
  });

  app.openapi(rollbackRoute, async (c) => {
    const { task: name } = c.req.valid("param");
    const principal = principalOf(c);
    const tenant = principal.tenant;
    const task = (await taskOrVersions(ctx, tenant, name)).name;
    const pointer = await ctx.store.getJson(tenantPolicyCurrentKey(tenant, task), TenantPolicyPointerSchema);
    if (!pointer) {
      throw new HttpError(
        409,
        "PROMOTION_REFUSED",
        `task "${task}" serves the bundled policy for you already; there is nothing to roll back`,
      );
    }
    await writePointer(
      ctx,
      tenant,
      rolledBackPointer(pointer, ctx.clock().toISOString(), principal.keyId),
      task,
    );
    return c.json(await policyView(ctx, tenant, task), 200);
  });
}

/** The task by name (built in or the tenant's), or one the tenant only trained through a webhook definition. */
async function taskOrVersions(ctx: RouteContext, tenant: string, name: string): Promise<{ name: string }> {
  try {
    return await taskFor(ctx, tenant, name);
  } catch (e) {
    if (/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
      const folders = await ctx.store.listFolders(tenantPolicyTaskPrefix(tenant, name));
      if (folders.length > 0) return { name };
    }
    throw e;
  }
}
