/**
 * Request and response pieces several routes share. Shapes that cross into the queue or S3 are the
 * core's (`@alignsam/core/light`); these only describe the HTTP surface.
 */
import { allowPrivateCallbacks, assertCallbackAllowed, KeySegmentSchema } from "@alignsam/core/light";
import { z } from "@hono/zod-openapi";

/**
 * Callbacks carry job results off-site: https only, and never to a loopback, private, link-local,
 * CGNAT, multicast or otherwise non-public address, checked on the literal and on what the host
 * name resolves to now (the worker checks again on connecting, against DNS rebinding).
 * `ALIGNSAM_ALLOW_PRIVATE_CALLBACKS=1` (read per request) lifts this for local testing only.
 */
export const CallbackUrlSchema = z
  .string()
  .max(2048)
  .superRefine(async (url, ctx) => {
    try {
      await assertCallbackAllowed(url, { allowPrivate: allowPrivateCallbacks() });
    } catch (e) {
      ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : String(e) });
    }
  })
  .openapi({
    format: "uri",
    example: "https://example.com/alignsam/callback",
    description: "https URL on a public address; receives the signed terminal status",
  });

export const TaskFieldSchema = z
  .string()
  .min(1)
  .max(64)
  .openapi({ example: "shadow", description: "a task name from GET /v1/tasks" });

export const IdParamSchema = z.object({
  id: KeySegmentSchema.meta({
    param: { name: "id", in: "path" },
    example: "3f1c9a52-6a43-4f3b-9b1e-2b7f0f0b1a77",
  }),
});

export const JobAcceptedSchema = z
  .object({
    jobId: z.string(),
    state: z.literal("queued"),
    statusUrl: z.url(),
  })
  .openapi("JobAccepted");
export type JobAccepted = z.infer<typeof JobAcceptedSchema>;
