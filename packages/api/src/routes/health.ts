/** GET /healthz: liveness only; it touches neither S3 nor SQS, so a slow dependency never kills the process. */
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp } from "../http/context.ts";

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness probe",
  responses: {
    200: {
      description: "the process serves requests",
      content: { "application/json": { schema: z.object({ ok: z.literal(true) }) } },
    },
  },
});

export function registerHealthRoutes(app: ApiApp): void {
  app.openapi(route, (c) => c.json({ ok: true as const }, 200));
}
