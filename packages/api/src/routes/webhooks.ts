/**
 * POST /v1/webhooks/retrain: a signed request (see ../webhook/verify.ts) names a task and a labelled
 * dataset prefix; the API enqueues one `train` job. The signature is checked on the raw bytes before
 * the body is parsed, and a signature already seen is refused with 401. It carries an HMAC, not an
 * API key: the tenant's own secret (with the x-alignsam-tenant header; POST /v1/webhook-secret), or
 * the operator's. The job belongs to the tenant whose dataset it trains on
 * (`tenants/<tenant>/datasets/<id>/`), where its status, usage record and any promotion go: the
 * promoted version serves that tenant only.
 */
import {
  AlignSamError,
  datasetPrefix,
  KeySegmentSchema,
  messageEnvelope,
  queuedStatus,
  SIGNATURE_HEADER,
  TaskDefinitionSchema,
  TIMESTAMP_HEADER,
  TrainJobOptionsSchema,
  type TrainMessage,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { listDatasetPairs, parseDatasetRef } from "../datasets/dataset-ref.ts";
import { checkCallbackHost } from "../http/callback-url.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { limitBody } from "../http/limits.ts";
import { jsonBody, jsonResponse } from "../http/route-specs.ts";
import { CallbackUrlSchema, JobAcceptedSchema, TaskFieldSchema } from "../http/schemas.ts";
import { statusUrl, submitJob } from "../jobs/submit.ts";
import { taskFor } from "../tasks/tenant-tasks.ts";
import { rememberSignature, wasSeen, webhookJobId } from "../webhook/replay-guard.ts";
import { TENANT_HEADER, webhookSigner } from "../webhook/tenant-secret.ts";
import { verifyWebhook } from "../webhook/verify.ts";

/** Listing bound for the early check; the worker applies its own, smaller training limit. */
const MAX_LISTED_TRAIN_IMAGES = 100_000;

export const RetrainRequestSchema = z
  .strictObject({
    task: TaskFieldSchema,
    dataset: z.string().min(1).max(512).openapi({
      example: "tenants/local/datasets/shadow-train/",
      description: "tenants/<tenant>/datasets/<id>/: the train job belongs to that tenant",
    }),
    taskDefinition: TaskDefinitionSchema.optional().meta({ description: "for a new task: branch and texts" }),
    heldOutFraction: z.number().gt(0).lt(1).optional(),
    splitSeed: z.int().min(0).optional(),
    options: TrainJobOptionsSchema.partial().optional(),
    callbackUrl: CallbackUrlSchema.optional(),
  })
  .openapi("RetrainRequest");

/** Authenticate on the raw body before anything parses it (re-serialised JSON would not match). */
function authenticate(ctx: RouteContext) {
  return createMiddleware(async (c, next) => {
    const rawBody = await c.req.text();
    const signature = c.req.header(SIGNATURE_HEADER);
    const signer = await webhookSigner(ctx, c.req.header(TENANT_HEADER));
    verifyWebhook(
      signer.secret,
      { rawBody, signature, timestamp: c.req.header(TIMESTAMP_HEADER) },
      ctx.clock(),
    );
    if (await wasSeen(ctx.store, signature!)) {
      throw new HttpError(
        401,
        "SIGNATURE_REPLAYED",
        "this signature was already used; sign each request afresh",
      );
    }
    await next();
  });
}

function route(ctx: RouteContext) {
  return createRoute({
    method: "post",
    path: "/v1/webhooks/retrain",
    summary: "Retrain a task's policy (signed webhook)",
    description: `HMAC-SHA256 over "<timestamp>.<raw body>" in ${SIGNATURE_HEADER}: sha256=<hex>, Unix seconds in ${TIMESTAMP_HEADER}; 5 minutes tolerance; each signature is accepted once.`,
    middleware: [limitBody(ctx.config.maxJsonBytes, "the request body"), authenticate(ctx)] as const,
    request: { body: jsonBody(RetrainRequestSchema) },
    responses: {
      202: jsonResponse("train job accepted", JobAcceptedSchema),
      ...errorResponses(400, 401, 413, 415, 503),
    },
  });
}

/** The tenant a dataset prefix names (the full check is parseDatasetRef's, with this tenant). */
function datasetTenant(dataset: string, bucket: string): string {
  const path = dataset.startsWith(`s3://${bucket}/`) ? dataset.slice(`s3://${bucket}/`.length) : dataset;
  const [area, tenant] = path.split("/");
  if (area === "tenants" && KeySegmentSchema.safeParse(tenant).success) return tenant;
  throw new AlignSamError(
    "INVALID_ARGUMENT",
    `dataset "${dataset}" is not a datasets prefix; expected "tenants/<tenant>/datasets/<datasetId>/" (or s3://${bucket}/...)`,
    { field: "dataset" },
  );
}

export function registerWebhookRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route(ctx), async (c) => {
    const body = c.req.valid("json");
    const signature = c.req.header(SIGNATURE_HEADER)!; // authenticate() checked it
    const tenant = datasetTenant(body.dataset, ctx.config.bucket);
    const signedFor = c.req.header(TENANT_HEADER);
    if (signedFor !== undefined && signedFor !== tenant) {
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        `a webhook signed with tenant "${signedFor}"'s secret may only train on "tenants/${signedFor}/datasets/..."`,
        { field: "dataset" },
      );
    }
    if (body.taskDefinition) {
      if (body.taskDefinition.name !== body.task) {
        throw new HttpError(
          400,
          "INVALID_ARGUMENT",
          `taskDefinition.name "${body.taskDefinition.name}" must equal task "${body.task}"`,
        );
      }
    } else {
      await taskFor(ctx, tenant, body.task);
    }
    const datasetId = parseDatasetRef(body.dataset, { bucket: ctx.config.bucket, tenant });
    // Fail at the door, not minutes later on a GPU, when the set is missing or has no pairs.
    await listDatasetPairs(ctx.store, datasetPrefix(tenant, datasetId), MAX_LISTED_TRAIN_IMAGES);
    await checkCallbackHost(body.callbackUrl, { resolve: ctx.resolveHost });
    const jobId = webhookJobId(signature);
    const now = ctx.clock();
    if (!(await rememberSignature(ctx.store, signature, now, jobId))) {
      throw new HttpError(
        401,
        "SIGNATURE_REPLAYED",
        "this signature was already used; sign each request afresh",
      );
    }
    const message: TrainMessage = {
      ...messageEnvelope("train", { jobId, tenant, now, callbackUrl: body.callbackUrl }),
      task: body.task,
      datasetId,
      taskDefinition: body.taskDefinition,
      heldOutFraction: body.heldOutFraction ?? 0.2,
      splitSeed: body.splitSeed ?? 0,
      options: { ...body.options, seed: body.options?.seed ?? 0 },
      promote: "auto",
    };
    await submitJob(ctx, queuedStatus({ jobId, tenant, kind: "train", now, callbackUrl: body.callbackUrl }), [
      message,
    ]);
    const url = statusUrl(ctx, c.req.url, jobId);
    c.header("Location", url);
    return c.json({ jobId, state: "queued" as const, statusUrl: url }, 202);
  });
}
