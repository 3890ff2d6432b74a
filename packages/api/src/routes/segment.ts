/**
 * POST /v1/segment: accept an image (multipart upload, or the id of a presigned upload), check it
 * by its bytes, store it, write the job's queued status and enqueue a `segment` message. Every
 * check runs before the first write, so a refused request leaves nothing in S3.
 */
import {
  AlignSamError,
  inputKey,
  KeySegmentSchema,
  messageEnvelope,
  queuedStatus,
  SEGMENT_OUTPUTS,
  type SegmentMessage,
  SegmentOutputSchema,
  STEPS_RANGE,
  StepsSchema,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { sniffImage } from "../http/image-sniff.ts";
import { limitBody, MULTIPART_OVERHEAD_BYTES } from "../http/limits.ts";
import { jsonResponse } from "../http/route-specs.ts";
import {
  CallbackUrlSchema,
  ClassNameFieldSchema,
  decimalIntField,
  filePartSchema,
  JobAcceptedSchema,
  TaskFieldSchema,
} from "../http/schemas.ts";
import { checkJobOptions, isClassPrompted } from "../jobs/job-options.ts";
import { statusUrl, submitJob } from "../jobs/submit.ts";
import { taskFor } from "../tasks/tenant-tasks.ts";
import { admit, releaseOnFailure } from "../usage/quota.ts";

const options = {
  policyVersion: KeySegmentSchema.optional().meta({
    description: "policy version; default: the task's current",
  }),
  className: ClassNameFieldSchema.optional(),
  callbackUrl: CallbackUrlSchema.optional(),
};

const OUTPUTS_DESCRIPTION = `results to write: ${SEGMENT_OUTPUTS.join(", ")} (default: all but polygons)`;

/** A JSON array of output names. */
const OutputsJsonSchema = z
  .array(SegmentOutputSchema)
  .min(1)
  .max(SEGMENT_OUTPUTS.length)
  .openapi({ description: OUTPUTS_DESCRIPTION, example: ["mask", "rle"] });

/** In a form: one field per output, or one comma-separated field ("mask,rle"). */
const OutputsFormSchema = z
  .preprocess(
    (v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => String(s).split(","))
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    OutputsJsonSchema,
  )
  .openapi({ type: "string", description: `${OUTPUTS_DESCRIPTION}; comma-separated or repeated` });

export const SegmentJsonSchema = z
  .strictObject({
    uploadId: KeySegmentSchema.meta({ description: "id returned by POST /v1/uploads" }),
    task: TaskFieldSchema,
    steps: StepsSchema.optional().meta({ description: "T, the number of prompting steps" }),
    greedy: z.boolean().optional().openapi({ description: "argmax actions (default true)" }),
    seed: z.int().min(0).optional(),
    outputs: OutputsJsonSchema.optional(),
    ...options,
  })
  .openapi("SegmentJsonRequest");

export const SegmentFormSchema = z
  .strictObject({
    image: filePartSchema("image", "photo.png", "JPEG, PNG or WebP"),
    task: TaskFieldSchema,
    steps: decimalIntField(STEPS_RANGE.min, STEPS_RANGE.max).optional(),
    greedy: z.stringbool().optional().openapi({ type: "boolean" }),
    seed: decimalIntField(0).optional(),
    outputs: OutputsFormSchema.optional(),
    ...options,
  })
  .openapi("SegmentFormRequest");

type SegmentInput = Omit<z.infer<typeof SegmentJsonSchema>, "uploadId">;

function segmentRoute(ctx: RouteContext) {
  return createRoute({
    method: "post",
    path: "/v1/segment",
    summary: "Segment one image for a task",
    middleware: [limitBody(ctx.config.maxImageBytes + MULTIPART_OVERHEAD_BYTES, "the request body")] as const,
    request: {
      body: {
        content: {
          "multipart/form-data": { schema: SegmentFormSchema },
          "application/json": { schema: SegmentJsonSchema },
        },
      },
    },
    responses: {
      202: jsonResponse("job accepted", JobAcceptedSchema),
      ...errorResponses(400, 401, 402, 404, 413, 415, 429, 503),
    },
  });
}

/**
 * Fail early on a task the registry does not know, a class-prompted task without its class (or with
 * one the prior does not know), a policy version the task lacks or a callback host that is refused.
 */
async function checkTask(ctx: RouteContext, tenant: string, input: SegmentInput): Promise<void> {
  const task = await taskFor(ctx, tenant, input.task);
  if (isClassPrompted(task) && !input.className) {
    throw new AlignSamError("INVALID_ARGUMENT", `task "${task.name}" is class-prompted: give className`, {
      field: "className",
    });
  }
  await checkJobOptions(ctx, task, { ...input, tenant });
}

async function imageFromUpload(ctx: RouteContext, tenant: string, uploadId: string): Promise<Uint8Array> {
  let got: Awaited<ReturnType<RouteContext["store"]["getBytes"]>>;
  try {
    got = await ctx.store.getBytes(inputKey(tenant, uploadId), ctx.config.maxImageBytes);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new HttpError(
        413,
        "IMAGE_TOO_LARGE",
        `upload ${uploadId} exceeds ${ctx.config.maxImageBytes} bytes`,
      );
    }
    throw err;
  }
  if (!got) {
    throw new HttpError(
      404,
      "UPLOAD_NOT_FOUND",
      `no upload "${uploadId}"; PUT the image to the URL from POST /v1/uploads first`,
    );
  }
  return got.bytes;
}

export function registerSegmentRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(segmentRoute(ctx), async (c) => {
    const contentType = c.req.header("content-type") ?? "";
    const isForm = contentType.toLowerCase().startsWith("multipart/form-data");
    const form = isForm ? (c.req.valid("form") as z.infer<typeof SegmentFormSchema>) : undefined;
    const json =
      !isForm && contentType ? (c.req.valid("json") as z.infer<typeof SegmentJsonSchema>) : undefined;
    const input: SegmentInput | undefined = form ?? json;
    if (!input || !("task" in input)) {
      throw new HttpError(
        400,
        "INVALID_REQUEST",
        "send multipart/form-data with an image part, or JSON with the uploadId of a prior upload",
      );
    }
    const principal = principalOf(c);
    await checkTask(ctx, principal.tenant, input);

    const tenant = principal.tenant;
    let upload: { uploadId: string; bytes?: Uint8Array; contentType?: string };
    if (form) {
      if (form.image.size > ctx.config.maxImageBytes) {
        throw new HttpError(413, "IMAGE_TOO_LARGE", `the image exceeds ${ctx.config.maxImageBytes} bytes`);
      }
      const bytes = new Uint8Array(await form.image.arrayBuffer());
      const sniffed = sniffImage(bytes, { maxPixels: ctx.config.maxImagePixels });
      upload = { uploadId: ctx.newId(), bytes, contentType: sniffed.contentType };
    } else {
      const uploadId = (input as z.infer<typeof SegmentJsonSchema>).uploadId;
      sniffImage(await imageFromUpload(ctx, tenant, uploadId), { maxPixels: ctx.config.maxImagePixels });
      upload = { uploadId };
    }
    const uploadId = upload.uploadId;

    const jobId = ctx.newId();
    // The quota is checked (and the image reserved) before the first write: a refusal leaves nothing.
    const admission = await admit(ctx, principal, { jobId, kind: "segment", images: 1 });
    const now = ctx.clock();
    const message: SegmentMessage = {
      ...messageEnvelope("segment", { jobId, tenant, now, callbackUrl: input.callbackUrl }),
      task: input.task,
      uploadId,
      policyVersion: input.policyVersion,
      className: input.className,
      options: { steps: input.steps, greedy: input.greedy ?? true, seed: input.seed ?? 0 },
      ...(input.outputs ? { outputs: [...new Set(input.outputs)] } : {}),
    };
    const status = queuedStatus({ jobId, tenant, kind: "segment", now, callbackUrl: input.callbackUrl });
    await releaseOnFailure(admission, async () => {
      if (upload.bytes)
        await ctx.store.putBytes(inputKey(tenant, uploadId), upload.bytes, upload.contentType!);
      await submitJob(ctx, status, [message]);
    });
    const url = statusUrl(ctx, c.req.url, jobId);
    c.header("Location", url);
    return c.json({ jobId, state: "queued" as const, statusUrl: url }, 202);
  });
}
