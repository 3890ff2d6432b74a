/** GET /v1/tasks: the tasks a caller may name, with their branch and the metrics they report. */
import { BranchSchema, MetricNameSchema } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, RouteContext } from "../http/context.ts";

const TaskSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    branch: BranchSchema,
    metrics: z.array(MetricNameSchema),
    classPrompted: z.boolean().openapi({ description: "true when segment needs className" }),
  })
  .openapi("Task");

const route = createRoute({
  method: "get",
  path: "/v1/tasks",
  summary: "List tasks",
  responses: {
    200: {
      description: "known tasks",
      content: { "application/json": { schema: z.object({ tasks: z.array(TaskSchema) }) } },
    },
  },
});

export function registerTaskRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, (c) =>
    c.json(
      {
        tasks: ctx.tasks.list().map((t) => ({
          name: t.name,
          description: t.description,
          branch: t.branch,
          metrics: t.metrics,
          classPrompted: t.texts.some((x) => x.includes("{class}")),
        })),
      },
      200,
    ),
  );
}
