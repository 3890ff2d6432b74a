/**
 * POST /v1/tasks/{task}/trainings: train the caller's own version of a task (built in or its own) on
 * one of its labelled datasets (`tenants/<t>/datasets/<datasetId>/`); 202 with the job.
 * GET /v1/tasks/{task}/trainings/{id}: live progress while it runs (phase, episodes done/total,
 * reward and SRM loss so far, ETA), and when done the evaluation report: candidate against the
 * tenant's current (or the bundled) policy on the same held-out images, the paired difference and
 * its standard error, the baselines the candidate's card records, and the promotion decision.
 */
import {
  datasetPrefix,
  JobErrorSchema,
  JobStateSchema,
  JobStatusSchema,
  jobResultKey,
  jobStatusKey,
  KeySegmentSchema,
  messageEnvelope,
  PromotionDecisionSchema,
  queuedStatus,
  TrainingProgressSchema,
  type TrainMessage,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf } from "../auth/principal.ts";
import { listDatasetPairs } from "../datasets/dataset-ref.ts";
import { checkCallbackHost } from "../http/callback-url.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { publicUrl } from "../http/public-url.ts";
import { jsonBody, jsonResponse } from "../http/route-specs.ts";
import { CallbackUrlSchema, JobAcceptedSchema, pathParam, TaskParamSchema } from "../http/schemas.ts";
import { statusUrl, submitJob } from "../jobs/submit.ts";
import { taskFor } from "../tasks/tenant-tasks.ts";
import { admit, releaseOnFailure } from "../usage/quota.ts";

/** Labelled pairs one training run reads at most (the worker's own bound, ALIGNSAM_MAX_TRAIN_IMAGES, may be lower). */
export const MAX_TRAINING_PAIRS = 500;

/** Bounded so one request cannot buy an unbounded amount of compute. */
export const TrainingOptionsSchema = z
  .strictObject({
    episodes: z
      .int()
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: "passes over the training images (default 10)" }),
    steps: z.int().min(1).max(32).optional().openapi({ description: "clicks per episode T (default 15)" }),
    ppoEpochs: z.int().min(1).max(50).optional(),
    srmMaxEpochs: z.int().min(1).max(100).optional(),
    srmAugment: z.int().min(0).max(8).optional(),
    seed: z.int().min(0).max(1_000_000).optional(),
  })
  .openapi("TrainingOptions");

export const TrainingRequestSchema = z
  .strictObject({
    dataset: KeySegmentSchema.meta({
      description: "a datasetId of yours: tenants/<you>/datasets/<datasetId>/{images,masks}/",
      example: "discs-50",
    }),
    options: TrainingOptionsSchema.optional(),
    heldOutFraction: z.number().gt(0).lt(1).optional().openapi({
      description: "share held out for judging (at least 20 images are held out when the set has 30 or more)",
    }),
    promote: z.enum(["auto", "manual"]).optional().openapi({
      description: "auto (default): promote for your tenant when the guard allows; manual: promote later",
    }),
    callbackUrl: CallbackUrlSchema.optional(),
  })
  .openapi("TrainingRequest");

const TrainingViewSchema = z
  .object({
    jobId: z.string(),
    task: z.string(),
    state: JobStateSchema,
    attempts: z.int(),
    progress: TrainingProgressSchema.nullable(),
    error: JobErrorSchema.optional(),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    report: PromotionDecisionSchema.nullable().openapi({
      description:
        "when done: scores, paired difference (SE), baselines, and whether it was promoted and why",
    }),
  })
  .openapi("Training");

function postRoute() {
  return createRoute({
    method: "post",
    path: "/v1/tasks/{task}/trainings",
    summary: "Train your version of a task on one of your labelled datasets",
    request: {
      params: TaskParamSchema,
      body: jsonBody(TrainingRequestSchema),
    },
    responses: {
      202: jsonResponse("train job accepted", JobAcceptedSchema.extend({ trainingUrl: z.url() })),
      ...errorResponses(400, 401, 402, 404, 429, 503),
    },
  });
}

const getRoute = createRoute({
  method: "get",
  path: "/v1/tasks/{task}/trainings/{id}",
  summary: "Progress and report of a training run",
  request: {
    params: TaskParamSchema.extend({ id: pathParam("id") }),
  },
  responses: {
    200: jsonResponse("the training", TrainingViewSchema),
    ...errorResponses(400, 401, 404, 429),
  },
});

export function registerTrainingRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(postRoute(), async (c) => {
    const { task: name } = c.req.valid("param");
    const body = c.req.valid("json");
    const principal = principalOf(c);
    const tenant = principal.tenant;
    const task = await taskFor(ctx, tenant, name);
    // Fail at the door, not minutes later on a GPU, when the set is missing, has no pairs or is too big.
    const listing = await listDatasetPairs(
      ctx.store,
      datasetPrefix(tenant, body.dataset),
      MAX_TRAINING_PAIRS,
    );
    if (listing.items.length > MAX_TRAINING_PAIRS) {
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        `dataset "${body.dataset}" has more than ${MAX_TRAINING_PAIRS} pairs; a training run reads at most ${MAX_TRAINING_PAIRS}`,
        { field: "dataset" },
      );
    }
    if (listing.items.length < 2) {
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        `dataset "${body.dataset}" has fewer than 2 labelled pairs`,
        {
          field: "dataset",
        },
      );
    }
    await checkCallbackHost(body.callbackUrl, { resolve: ctx.resolveHost });
    const jobId = ctx.newId();
    // A training run counts against the image quota as the labelled images it reads.
    const admission = await admit(ctx, principal, { jobId, kind: "train", images: listing.items.length });
    const now = ctx.clock();
    const message: TrainMessage = {
      ...messageEnvelope("train", { jobId, tenant, now, callbackUrl: body.callbackUrl }),
      task: task.name,
      datasetId: body.dataset,
      ...(ctx.tasks.has(task.name) ? {} : { taskDefinition: task }),
      heldOutFraction: body.heldOutFraction ?? 0.2,
      splitSeed: 0,
      options: { ...body.options, seed: body.options?.seed ?? 0 },
      promote: body.promote ?? "auto",
      ...(principal.keyId ? { keyId: principal.keyId } : {}),
    };
    const status = queuedStatus({ jobId, tenant, kind: "train", now, callbackUrl: body.callbackUrl });
    await releaseOnFailure(admission, () => submitJob(ctx, status, [message]));
    const url = statusUrl(ctx, c.req.url, jobId);
    const trainingUrl = publicUrl(
      ctx.config,
      c.req.url,
      `/v1/tasks/${encodeURIComponent(task.name)}/trainings/${encodeURIComponent(jobId)}`,
    );
    c.header("Location", trainingUrl);
    return c.json({ jobId, state: "queued" as const, statusUrl: url, trainingUrl }, 202);
  });

  app.openapi(getRoute, async (c) => {
    const { task, id } = c.req.valid("param");
    const tenant = principalOf(c).tenant;
    const status = await ctx.store.getJson(jobStatusKey(tenant, id), JobStatusSchema);
    if (status?.kind !== "train") {
      throw new HttpError(404, "NOT_FOUND", `no training "${id}" of task "${task}"`);
    }
    const report = await ctx.store.getJson(
      jobResultKey(tenant, id, "training.json"),
      PromotionDecisionSchema,
    );
    if (report && report.task !== task) {
      throw new HttpError(404, "NOT_FOUND", `no training "${id}" of task "${task}"`);
    }
    return c.json(
      {
        jobId: id,
        task,
        state: status.state,
        attempts: status.attempts,
        progress: status.training ?? null,
        error: status.error,
        createdAt: status.createdAt,
        finishedAt: status.finishedAt,
        report: report ?? null,
      },
      200,
    );
  });
}
