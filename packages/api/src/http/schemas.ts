/**
 * Request and response pieces several routes share. Shapes that cross into the queue or S3 are the
 * core's (`@alignsam/core/light`); these only describe the HTTP surface.
 */
import { KeySegmentSchema } from "@alignsam/core/light";
import { z } from "@hono/zod-openapi";

/**
 * Hosts a callback must not name: loopback, link-local (cloud metadata), private and unique-local
 * address literals. A name that resolves to such an address can only be caught where the request is
 * made (the worker); this refuses the obvious cases at the door.
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.includes(":")) {
    return (
      host === "::" ||
      host === "::1" ||
      /^f[cd]/.test(host) ||
      /^fe[89ab]/.test(host) ||
      host.startsWith("::ffff:")
    );
  }
  return false;
}

/** Callbacks carry job results off-site: https only, so they cannot be read on the wire, and never internal. */
export const CallbackUrlSchema = z
  .url({ protocol: /^https$/, error: "callbackUrl must be an https:// URL" })
  .max(2048)
  .refine(
    (u) => !isInternalHost(new URL(u).hostname),
    "callbackUrl must not point at a loopback, private or link-local host",
  )
  .openapi({ example: "https://example.com/alignsam/callback" });

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
