/**
 * GET /v1/tasks: the tasks a caller may name (built in, and its own, marked `own`), with their branch
 * and the metrics they report. POST /v1/tasks: define a task for the caller's tenant only.
 */
import {
  BranchSchema,
  MetricNameSchema,
  type TaskDefinition,
  TaskNameSchema,
  type TenantTask,
  TenantTaskSchema,
  tenantTaskKey,
} from "@alignsam/core/light";
import { isPreconditionFailed } from "@alignsam/core/storage";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf, tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { jsonBody, jsonResponse } from "../http/route-specs.ts";
import { listOwnTasks, MAX_OWN_TASKS } from "../tasks/tenant-tasks.ts";

const TaskSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    branch: BranchSchema,
    metrics: z.array(MetricNameSchema),
    classPrompted: z.boolean().openapi({ description: "true when segment needs className" }),
    own: z.boolean().openapi({ description: "defined by the caller's tenant (false: built in)" }),
    texts: z.array(z.string()),
  })
  .openapi("Task");

export const DefineTaskSchema = z
  .strictObject({
    name: TaskNameSchema.meta({ example: "discs" }),
    branch: BranchSchema.meta({
      description: "implicit: the SRM learns the concept from the masks alone; explicit: a text prior too",
    }),
    texts: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(8)
      .optional()
      .openapi({ description: "what the concept is called (the explicit branch's prior); default [name]" }),
    description: z.string().max(500).optional(),
    metrics: z
      .array(MetricNameSchema)
      .min(1)
      .max(6)
      .optional()
      .openapi({ description: "reported metrics, the first judges promotion; default [mIoU]" }),
  })
  .openapi("DefineTask");

const toView = (t: TaskDefinition, own: boolean) => ({
  name: t.name,
  description: t.description,
  branch: t.branch,
  metrics: t.metrics,
  classPrompted: t.texts.some((x) => x.includes("{class}")),
  own,
  texts: t.texts,
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/tasks",
  summary: "List tasks (built in and your own)",
  responses: {
    200: jsonResponse("known tasks", z.object({ tasks: z.array(TaskSchema) })),
    ...errorResponses(401),
  },
});

const defineRoute = createRoute({
  method: "post",
  path: "/v1/tasks",
  summary: "Define a task of your own (your tenant only)",
  request: { body: jsonBody(DefineTaskSchema) },
  responses: {
    201: jsonResponse("the task", TaskSchema),
    ...errorResponses(400, 401, 409),
  },
});

export function registerTaskRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(listRoute, async (c) => {
    const own = await listOwnTasks(ctx, tenantOf(c));
    return c.json(
      {
        tasks: [
          ...ctx.tasks.list().map((t) => toView(t, false)),
          ...own.map((t) => toView(t.definition, true)),
        ],
      },
      200,
    );
  });

  app.openapi(defineRoute, async (c) => {
    const body = c.req.valid("json");
    const principal = principalOf(c);
    if (ctx.tasks.has(body.name)) {
      throw new HttpError(
        409,
        "TASK_EXISTS",
        `"${body.name}" is a built-in task; built-in tasks cannot be redefined (train it for your tenant with POST /v1/tasks/${body.name}/trainings, or pick another name)`,
        { field: "name", builtIn: ctx.tasks.names() },
      );
    }
    const key = tenantTaskKey(principal.tenant, body.name);
    if ((await listOwnTasks(ctx, principal.tenant)).length >= MAX_OWN_TASKS) {
      throw new HttpError(400, "INVALID_ARGUMENT", `a tenant may define at most ${MAX_OWN_TASKS} tasks`);
    }
    const definition: TaskDefinition = {
      name: body.name,
      description: body.description ?? `${body.name} (defined by tenant ${principal.tenant})`,
      branch: body.branch,
      texts: body.texts ?? [body.name],
      metrics: body.metrics ?? ["mIoU"],
    };
    const record: TenantTask = {
      v: 1,
      tenant: principal.tenant,
      definition,
      createdAt: ctx.clock().toISOString(),
      ...(principal.keyId ? { keyId: principal.keyId } : {}),
    };
    const taken = () =>
      new HttpError(409, "TASK_EXISTS", `task "${body.name}" is already defined for your tenant`, {
        field: "name",
      });
    // Write-once: a task's definition is what its trained versions were made for. The read catches
    // the common case (the local emulator ignores If-None-Match); the condition catches a race on S3.
    if (await ctx.store.getJson(key, TenantTaskSchema)) throw taken();
    try {
      await ctx.store.putJson(key, record, { ifNoneMatch: true });
    } catch (e) {
      if (isPreconditionFailed(e)) throw taken();
      throw e;
    }
    return c.json(toView(definition, true), 201);
  });
}
