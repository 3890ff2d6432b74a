/**
 * GET /v1/policies/{task}: the stored versions of a task's policy, the one serving now and its
 * score on its held-out split. A task trained from a webhook's own definition is listed too, even
 * when this process's registry does not know it.
 */
import { CurrentPolicyPointerSchema, PolicyScoreSchema, policyCurrentKey } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses } from "../http/errors.ts";
import { TaskFieldSchema } from "../http/schemas.ts";

const PolicyViewSchema = z
  .object({
    task: z.string(),
    versions: z.array(z.object({ version: z.string(), current: z.boolean() })),
    current: CurrentPolicyPointerSchema.nullable(),
    metrics: PolicyScoreSchema.nullable().meta({ description: "the current version's held-out score" }),
  })
  .openapi("Policies");

const route = createRoute({
  method: "get",
  path: "/v1/policies/{task}",
  summary: "Policy versions of a task",
  request: { params: z.object({ task: TaskFieldSchema.openapi({ param: { name: "task", in: "path" } }) }) },
  responses: {
    200: {
      description: "the task's policies",
      content: { "application/json": { schema: PolicyViewSchema } },
    },
    ...errorResponses(400),
  },
});

export function registerPolicyRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, async (c) => {
    const { task } = c.req.valid("param");
    const currentKey = policyCurrentKey(task);
    const taskPrefix = currentKey.slice(0, currentKey.length - "current.json".length);
    const [folders, current] = await Promise.all([
      ctx.store.listFolders(taskPrefix),
      ctx.store.getJson(currentKey, CurrentPolicyPointerSchema),
    ]);
    if (!ctx.tasks.has(task) && folders.length === 0 && !current) ctx.tasks.get(task); // UNKNOWN_TASK
    const versions = folders
      .map((f) => f.slice(taskPrefix.length, -1))
      .sort()
      .map((version) => ({ version, current: version === current?.version }));
    return c.json({ task, versions, current: current ?? null, metrics: current?.score ?? null }, 200);
  });
}
