/** GET /healthz: liveness only; it touches neither S3 nor SQS, so a slow dependency never kills the process. */
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp } from "../http/context.ts";
import { jsonResponse } from "../http/route-specs.ts";

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness probe",
  responses: {
    200: jsonResponse("the process serves requests", z.object({ ok: z.literal(true) })),
  },
});

export function registerHealthRoutes(app: ApiApp): void {
  app.openapi(route, (c) => c.json({ ok: true as const }, 200));
}
