/**
 * Dataset evaluation. POST lists the labelled pairs under a dataset prefix, writes the manifest and
 * fans out one `eval-shard` message per shard; GET reports shards done / total, the summary and the
 * report's URLs. The evaluation's id is also its job id, so GET /v1/jobs/{id} works for it too.
 */
import {
  datasetPrefix,
  type EvalShardMessage,
  EvaluationManifestSchema,
  EvaluationSummarySchema,
  evaluationManifestKey,
  evaluationReportKey,
  evaluationShardsPrefix,
  evaluationSummaryKey,
  JobStateSchema,
  JobStatusSchema,
  jobStatusKey,
  KeySegmentSchema,
  messageEnvelope,
  planShards,
  queuedStatus,
} from "@alignsam/core/light";
import { z } from "@hono/zod-openapi";
import { principalOf, tenantOf } from "../auth/principal.ts";
import { listDatasetPairs, parseDatasetRef } from "../datasets/dataset-ref.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { publicUrl } from "../http/public-url.ts";
import { acceptJsonRoute, getByIdRoute } from "../http/route-specs.ts";
import { CallbackUrlSchema, ClassNameFieldSchema, TaskFieldSchema } from "../http/schemas.ts";
import { checkJobOptions } from "../jobs/job-options.ts";
import { statusUrl, submitShardedJob } from "../jobs/submit.ts";
import { taskFor } from "../tasks/tenant-tasks.ts";
import { admit } from "../usage/quota.ts";

export const EvaluationRequestSchema = z
  .strictObject({
    dataset: z.string().min(1).max(512).openapi({
      example: "tenants/local/datasets/shadow-val/",
      description:
        "prefix holding images/ and masks/, in the caller's tenant: tenants/<tenant>/datasets/<id>/",
    }),
    task: TaskFieldSchema,
    policyVersion: KeySegmentSchema.optional(),
    className: ClassNameFieldSchema.optional(),
    callbackUrl: CallbackUrlSchema.optional(),
  })
  .openapi("EvaluationRequest");

const EvaluationAcceptedSchema = z
  .object({
    evaluationId: z.string(),
    jobId: z.string(),
    state: z.literal("queued"),
    images: z.int(),
    shards: z.int(),
    unpaired: z
      .array(z.string())
      .openapi({ description: "files left out for lack of a partner (first 100)" }),
    statusUrl: z.url(),
    jobUrl: z.url(),
  })
  .openapi("EvaluationAccepted");

const EvaluationViewSchema = z
  .object({
    evaluationId: z.string(),
    task: z.string(),
    policyVersion: z.string().optional(),
    state: JobStateSchema,
    images: z.int(),
    shards: z.object({ done: z.int(), total: z.int() }),
    summary: EvaluationSummarySchema.optional(),
    reports: z.record(z.string(), z.object({ url: z.url() })),
  })
  .openapi("Evaluation");

function postRoute(ctx: RouteContext) {
  return acceptJsonRoute(ctx, {
    path: "/v1/evaluations",
    summary: "Evaluate a policy on a labelled dataset",
    body: EvaluationRequestSchema,
    description: "evaluation accepted",
    accepted: EvaluationAcceptedSchema,
  });
}

const getRoute = getByIdRoute({
  path: "/v1/evaluations/{id}",
  summary: "Evaluation progress, summary and report URLs",
  description: "the evaluation",
  schema: EvaluationViewSchema,
});

function evaluationUrl(ctx: RouteContext, requestUrl: string, id: string): string {
  return publicUrl(ctx.config, requestUrl, `/v1/evaluations/${encodeURIComponent(id)}`);
}

export function registerEvaluationRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(postRoute(ctx), async (c) => {
    const body = c.req.valid("json");
    const principal = principalOf(c);
    const tenant = principal.tenant;
    await checkJobOptions(ctx, await taskFor(ctx, tenant, body.task), { ...body, tenant });
    const datasetId = parseDatasetRef(body.dataset, { bucket: ctx.config.bucket, tenant });
    const listing = await listDatasetPairs(
      ctx.store,
      datasetPrefix(tenant, datasetId),
      ctx.config.maxEvaluationImages,
    );
    const evalId = ctx.newId();
    const admission = await admit(ctx, principal, {
      jobId: evalId,
      kind: "evaluation",
      images: listing.items.length,
    });
    const now = ctx.clock();
    const manifest = EvaluationManifestSchema.parse({
      v: 1,
      evalId,
      jobId: evalId,
      tenant,
      task: body.task,
      datasetId,
      policyVersion: body.policyVersion,
      className: body.className,
      shards: planShards(listing.items, ctx.config.evaluationShardSize),
      createdAt: now.toISOString(),
      callbackUrl: body.callbackUrl,
    });
    const job = { jobId: evalId, tenant, now, callbackUrl: body.callbackUrl };
    const envelope = messageEnvelope("eval-shard", job);
    await submitShardedJob(ctx, admission, {
      manifestKey: evaluationManifestKey(tenant, evalId),
      manifest,
      status: queuedStatus({ ...job, kind: "evaluation", total: manifest.shards.length }),
      messages: manifest.shards.map((s): EvalShardMessage => ({ ...envelope, evalId, shard: s.index })),
    });
    const url = evaluationUrl(ctx, c.req.url, evalId);
    c.header("Location", url);
    return c.json(
      {
        evaluationId: evalId,
        jobId: evalId,
        state: "queued" as const,
        images: listing.items.length,
        shards: manifest.shards.length,
        unpaired: listing.unpaired.slice(0, 100),
        statusUrl: url,
        jobUrl: statusUrl(ctx, c.req.url, evalId),
      },
      202,
    );
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = tenantOf(c);
    const manifest = await ctx.store.getJson(evaluationManifestKey(tenant, id), EvaluationManifestSchema);
    if (!manifest) throw new HttpError(404, "NOT_FOUND", `no evaluation "${id}"`);
    const [status, shardKeys, summary] = await Promise.all([
      ctx.store.getJson(jobStatusKey(tenant, manifest.jobId), JobStatusSchema),
      ctx.store.listKeys(evaluationShardsPrefix(tenant, id)),
      ctx.store.getJson(evaluationSummaryKey(tenant, id), EvaluationSummarySchema),
    ]);
    const reports: Record<string, { url: string }> = {};
    for (const [name, key] of [
      ["summary.json", evaluationSummaryKey(tenant, id)],
      ["report.md", evaluationReportKey(tenant, id)],
      // The self-contained HTML report the worker's reduce writes beside report.md.
      ["report.html", evaluationReportKey(tenant, id).replace(/report\.md$/, "report.html")],
    ] as const) {
      if (await ctx.store.exists(key)) reports[name] = { url: await ctx.store.presignGet(key) };
    }
    return c.json(
      {
        evaluationId: id,
        task: manifest.task,
        policyVersion: summary?.policyVersion ?? manifest.policyVersion,
        state: status?.state ?? (summary ? "succeeded" : "queued"),
        images: manifest.shards.reduce((n, s) => n + s.items.length, 0),
        shards: {
          done: shardKeys.filter((k) => k.endsWith("/done.json")).length,
          total: manifest.shards.length,
        },
        summary,
        reports,
      },
      200,
    );
  });
}
