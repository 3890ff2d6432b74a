/**
 * Request and response pieces several routes share. Shapes that cross into the queue or S3 are the
 * core's (`@alignsam/core/light`); these only describe the HTTP surface.
 */
import { allowPrivateCallbacks, ClassNameSchema, KeySegmentSchema } from "@alignsam/core/light";
import { z } from "@hono/zod-openapi";
import { callbackUrlSyntaxProblem } from "./callback-url.ts";

/**
 * Callbacks carry job results off-site: https on the default port only, and never to a loopback,
 * private, link-local, CGNAT, multicast or otherwise non-public address literal or internal name.
 * What the host name resolves to is checked by the route (`checkCallbackHost`) before anything is
 * written, and the worker checks again on connecting, against DNS rebinding.
 * `ALIGNSAM_ALLOW_PRIVATE_CALLBACKS=1` (read per request) lifts this for local testing only.
 */
export const CallbackUrlSchema = z
  .string()
  .max(2048)
  .superRefine((url, ctx) => {
    const problem = callbackUrlSyntaxProblem(url, { allowPrivate: allowPrivateCallbacks() });
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({
    format: "uri",
    example: "https://example.com/alignsam/callback",
    description:
      "https URL (port 443) of a host that resolves to public addresses; receives the signed terminal status",
  });

/**
 * A whole number written in decimal digits, for form fields and query parameters: z.coerce.number
 * would also take "1e1", "0x10", " 7" and "" (as 0), none of which a client means as an integer.
 */
export function decimalIntField(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .regex(/^\d{1,16}$/, "must be a whole number in decimal digits")
    .transform(Number)
    .pipe(z.int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, ...(max < Number.MAX_SAFE_INTEGER ? { maximum: max } : {}) });
}

export const TaskFieldSchema = z
  .string()
  .min(1)
  .max(64)
  .openapi({ example: "shadow", description: "a task name from GET /v1/tasks" });

export const ClassNameFieldSchema = ClassNameSchema.meta({
  description: "class for class-prompted tasks (voc)",
});

/** A path parameter that names one key segment (an id, a file name), with an example for the docs. */
export function pathParam(name: string, example?: string) {
  return KeySegmentSchema.meta({
    param: { name, in: "path" },
    ...(example === undefined ? {} : { example }),
  });
}

export const IdParamSchema = z.object({ id: pathParam("id", "3f1c9a52-6a43-4f3b-9b1e-2b7f0f0b1a77") });

/** `{task}` in a path: a built-in task or one the tenant defined. */
export const TaskParamSchema = z.object({
  task: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "task", in: "path" }, example: "discs" }),
});

/**
 * The one file part of a multipart form named `name`. Two parts of that name reach the schema as an
 * array; the message says so, not "not a file".
 */
export function filePartSchema(name: string, curlFile: string, description: string) {
  return z
    .instanceof(File, {
      error: (issue) =>
        Array.isArray(issue.input)
          ? `send exactly one ${name} part (got ${issue.input.length})`
          : `${name} must be a file part (curl: -F ${name}=@${curlFile})`,
    })
    .openapi({ type: "string", format: "binary", description });
}

export const JobAcceptedSchema = z
  .object({
    jobId: z.string(),
    state: z.literal("queued"),
    statusUrl: z.url(),
  })
  .openapi("JobAccepted");
export type JobAccepted = z.infer<typeof JobAcceptedSchema>;
