/** GET /openapi.json: generated from the same zod schemas that validate requests, so it cannot drift. */
import type { ApiApp } from "../http/context.ts";

export const API_VERSION = "1.0.0";

/** Routes that take no API key: health, the signed webhook (its own HMAC) and the document itself. */
const OPEN_PATHS = new Set(["/healthz", "/v1/webhooks/retrain"]);

export function registerOpenApiRoute(app: ApiApp): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key made with `npm run keys -- create`, sent as `Authorization: Bearer <key>`.",
  });
  app.get("/openapi.json", (c) => {
    const doc = app.getOpenAPI31Document(openApiConfig);
    // Every /v1 route needs a key except the open ones; say so per operation, as clients read it.
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      if (OPEN_PATHS.has(path)) continue;
      for (const op of Object.values(item ?? {})) {
        if (op && typeof op === "object" && "responses" in op) {
          (op as { security?: Record<string, string[]>[] }).security = [{ apiKey: [] }];
        }
      }
    }
    return c.json(doc);
  });
}

const openApiConfig = {
  openapi: "3.1.0",
  info: {
    title: "AlignSAM API",
    version: API_VERSION,
    description:
      "Segment images for a task with a PPO prompting agent over a frozen Segment Anything model; " +
      "jobs run asynchronously on GPU workers. Errors are {error: {code, message, requestId, details?}}.",
  },
} as const;
