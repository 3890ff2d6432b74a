/** GET /openapi.json: generated from the same zod schemas that validate requests, so it cannot drift. */
import type { ApiApp } from "../http/context.ts";

export const API_VERSION = "1.0.0";

export function registerOpenApiRoute(app: ApiApp): void {
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "AlignSAM API",
      version: API_VERSION,
      description:
        "Segment images for a task with a PPO prompting agent over a frozen Segment Anything model; " +
        "jobs run asynchronously on GPU workers. Errors are {error: {code, message, requestId, details?}}.",
    },
  });
}
