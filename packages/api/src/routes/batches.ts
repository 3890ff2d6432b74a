/**
 * Batch segmentation: label a whole set of images. POST resolves and checks the images (a dataset
 * prefix or a list of uploads) and the options, admits every image against the quota at once,
 * writes the manifest and fans out one `batch-shard` message per shard; GET reports images done /
 * failed / total (counted from the outcome documents while it runs), the failures and the URLs of
 * coco.json and batch.zip; GET .../images/{imageId} gives one image's files. The batch id is also its
 * job id, so GET /v1/jobs/{id} works for it too.
 */
import {
  AlignSamError,
  BATCH_OUTPUTS,
  BATCH_RESULT_NAMES,
  BatchFileNameSchema,
  type BatchImageOutcome,
  BatchImageOutcomeSchema,
  type BatchManifest,
  BatchManifestSchema,
  BatchOutputSchema,
  type BatchShardMessage,
  batchImageFileKey,
  batchManifestKey,
  batchOutcomeKey,
  batchOutcomesPrefix,
  batchResultKey,
  batchShardsPrefix,
  DEFAULT_BATCH_OUTPUTS,
  JobStateSchema,
  JobStatusSchema,
  jobStatusKey,
  KeySegmentSchema,
  messageEnvelope,
  planShards,
  queuedStatus,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf, tenantOf } from "../auth/principal.ts";
import { checkUploads, listPrefixImages } from "../batches/batch-images.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { publicUrl } from "../http/public-url.ts";
import { acceptJsonRoute, getByIdRoute, jsonResponse } from "../http/route-specs.ts";
import { CallbackUrlSchema, ClassNameFieldSchema, pathParam, TaskFieldSchema } from "../http/schemas.ts";
import { checkJobOptions, isClassPrompted } from "../jobs/job-options.ts";
import { statusUrl, submitShardedJob } from "../jobs/submit.ts";
import { taskFor } from "../tasks/tenant-tasks.ts";
import { admit } from "../usage/quota.ts";
import { mapLimited } from "../usage/summary.ts";

/** Failures a batch view lists (the archive's failures.json has them all). */
const MAX_LISTED_FAILURES = 100;

const UploadRefSchema = z.union([
  KeySegmentSchema,
  z.strictObject({ uploadId: KeySegmentSchema, fileName: BatchFileNameSchema.optional() }),
]);

export const BatchRequestSchema = z
  .strictObject({
    images: z.union([z.string().min(1).max(512), z.array(UploadRefSchema).min(1)]).openapi({
      example: "tenants/local/datasets/street/",
      description:
        "a datasets prefix of the caller's tenant (tenants/<tenant>/datasets/<id>/: every .jpg/.jpeg/.png/.webp in its images/), or a list of upload ids (each a string, or {uploadId, fileName} to name it in the COCO file); at most ALIGNSAM_MAX_BATCH_IMAGES (1000)",
    }),
    task: TaskFieldSchema,
    className: ClassNameFieldSchema.optional(),
    policyVersion: KeySegmentSchema.optional(),
    outputs: z
      .array(BatchOutputSchema)
      .min(1)
      .max(BATCH_OUTPUTS.length)
      .optional()
      .openapi({
        description: `what to write (default ${DEFAULT_BATCH_OUTPUTS.join(", ")}): per image mask (mask.png), rle (rle.json), polygons (polygons.json; with coco also coco-polygons.json); coco: one COCO instances file for the batch. batch.zip packs them all.`,
      }),
    callbackUrl: CallbackUrlSchema.optional(),
  })
  .openapi("BatchRequest");

const BatchAcceptedSchema = z
  .object({
    batchId: z.string(),
    jobId: z.string(),
    state: z.literal("queued"),
    images: z.int(),
    shards: z.int(),
    skipped: z
      .array(z.string())
      .openapi({ description: "files under the prefix left out: not images (first 100)" }),
    statusUrl: z.url(),
    jobUrl: z.url(),
  })
  .openapi("BatchAccepted");

const LinkSchema = z.object({ url: z.url() });
const FailureSchema = z.object({
  imageId: z.string(),
  fileName: z.string(),
  code: z.string(),
  message: z.string(),
});

const BatchViewSchema = z
  .object({
    batchId: z.string(),
    jobId: z.string(),
    task: z.string(),
    className: z.string().optional(),
    outputs: z.array(BatchOutputSchema),
    state: JobStateSchema,
    images: z.object({ total: z.int(), done: z.int(), succeeded: z.int(), failed: z.int() }),
    shards: z.object({ done: z.int(), total: z.int() }),
    failures: z
      .array(FailureSchema)
      .openapi({ description: `images that failed (first ${MAX_LISTED_FAILURES})` }),
    results: z.record(z.string(), LinkSchema).openapi({
      description: "coco.json, coco-polygons.json, batch.zip -> presigned GET URL, once written",
    }),
  })
  .openapi("Batch");

const BatchImageViewSchema = z
  .object({
    imageId: z.string(),
    fileName: z.string(),
    state: z.enum(["pending", "succeeded", "failed"]),
    width: z.int().optional(),
    height: z.int().optional(),
    area: z.int().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    results: z
      .record(z.string(), LinkSchema)
      .openapi({ description: "mask.png, rle.json, polygons.json -> presigned GET URL" }),
  })
  .openapi("BatchImage");

function postRoute(ctx: RouteContext) {
  return acceptJsonRoute(ctx, {
    path: "/v1/batches",
    summary: "Segment a set of images (a dataset prefix or uploads) into masks, COCO and an archive",
    body: BatchRequestSchema,
    description: "batch accepted",
    accepted: BatchAcceptedSchema,
  });
}

const getRoute = getByIdRoute({
  path: "/v1/batches/{id}",
  summary: "Batch progress, failures and result URLs",
  description: "the batch",
  schema: BatchViewSchema,
});

const ImageParamsSchema = z.object({ id: pathParam("id"), imageId: pathParam("imageId", "street-01.jpg") });

const imageRoute = createRoute({
  method: "get",
  path: "/v1/batches/{id}/images/{imageId}",
  summary: "One image of a batch: its state and the URLs of its files",
  request: { params: ImageParamsSchema },
  responses: {
    200: jsonResponse("the image", BatchImageViewSchema),
    ...errorResponses(400, 401, 404, 429),
  },
});

function batchUrl(ctx: RouteContext, requestUrl: string, id: string): string {
  return publicUrl(ctx.config, requestUrl, `/v1/batches/${encodeURIComponent(id)}`);
}

/** Images of a batch that have an outcome, by state: one listing, no reads. */
async function outcomeCounts(ctx: RouteContext, tenant: string, id: string) {
  const [ok, failed] = await Promise.all([
    ctx.store.listKeys(batchOutcomesPrefix(tenant, id, "ok")),
    ctx.store.listKeys(batchOutcomesPrefix(tenant, id, "failed")),
  ]);
  return { succeeded: ok.length, failedKeys: failed };
}

/**
 * Progress of a running batch for GET /v1/jobs/{id}: images with an outcome / images. The workers
 * leave the status's progress alone while shards run (a late shard write could land after the
 * reduce's terminal one), so the outcome documents are the live count.
 */
export async function batchProgress(
  ctx: RouteContext,
  tenant: string,
  id: string,
): Promise<{ done: number; total: number } | undefined> {
  const manifest = await ctx.store.getJson(batchManifestKey(tenant, id), BatchManifestSchema);
  if (!manifest) return undefined;
  const total = manifest.shards.reduce((n, s) => n + s.items.length, 0);
  const { succeeded, failedKeys } = await outcomeCounts(ctx, tenant, id);
  return { done: Math.min(total, succeeded + failedKeys.length), total };
}

async function readManifest(ctx: RouteContext, tenant: string, id: string): Promise<BatchManifest> {
  const manifest = await ctx.store.getJson(batchManifestKey(tenant, id), BatchManifestSchema);
  if (!manifest) throw new HttpError(404, "NOT_FOUND", `no batch "${id}"`);
  return manifest;
}

export function registerBatchRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(postRoute(ctx), async (c) => {
    const body = c.req.valid("json");
    const principal = principalOf(c);
    const tenant = principal.tenant;
    const task = await taskFor(ctx, tenant, body.task);
    if (isClassPrompted(task) && !body.className) {
      throw new AlignSamError("INVALID_ARGUMENT", `task "${task.name}" is class-prompted: give className`, {
        field: "className",
      });
    }
    await checkJobOptions(ctx, task, { ...body, tenant });
    const max = ctx.config.maxBatchImages;
    const resolved =
      typeof body.images === "string"
        ? await listPrefixImages(ctx, tenant, body.images, max)
        : await checkUploads(ctx, tenant, body.images, max);
    const batchId = ctx.newId();
    const images = resolved.items.length;
    const admission = await admit(ctx, principal, { jobId: batchId, kind: "batch", images });
    const now = ctx.clock();
    const manifest = BatchManifestSchema.parse({
      v: 1,
      batchId,
      jobId: batchId,
      tenant,
      task: task.name,
      policyVersion: body.policyVersion,
      className: body.className,
      outputs: [...new Set(body.outputs ?? DEFAULT_BATCH_OUTPUTS)],
      source: resolved.source,
      shards: planShards(resolved.items, ctx.config.batchShardSize),
      createdAt: now.toISOString(),
      callbackUrl: body.callbackUrl,
    } satisfies BatchManifest);
    const job = { jobId: batchId, tenant, now, callbackUrl: body.callbackUrl };
    const envelope = messageEnvelope("batch-shard", job);
    await submitShardedJob(ctx, admission, {
      manifestKey: batchManifestKey(tenant, batchId),
      manifest,
      status: queuedStatus({ ...job, kind: "batch", total: images }),
      messages: manifest.shards.map((s): BatchShardMessage => ({ ...envelope, batchId, shard: s.index })),
    });
    const url = batchUrl(ctx, c.req.url, batchId);
    c.header("Location", url);
    return c.json(
      {
        batchId,
        jobId: batchId,
        state: "queued" as const,
        images,
        shards: manifest.shards.length,
        skipped: resolved.skipped.slice(0, 100),
        statusUrl: url,
        jobUrl: statusUrl(ctx, c.req.url, batchId),
      },
      202,
    );
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = tenantOf(c);
    const manifest = await readManifest(ctx, tenant, id);
    const [status, shardKeys, counts] = await Promise.all([
      ctx.store.getJson(jobStatusKey(tenant, manifest.jobId), JobStatusSchema),
      ctx.store.listKeys(batchShardsPrefix(tenant, id)),
      outcomeCounts(ctx, tenant, id),
    ]);
    const byId = new Map(manifest.shards.flatMap((s) => s.items).map((i) => [i.id, i]));
    const failedDocs = await mapLimited(counts.failedKeys.slice(0, MAX_LISTED_FAILURES), 8, (key) =>
      ctx.store.getJson(key, BatchImageOutcomeSchema),
    );
    const failures = failedDocs
      .filter((d): d is BatchImageOutcome => d !== undefined && d.error !== undefined)
      .map((d) => ({
        imageId: d.imageId,
        fileName: byId.get(d.imageId)?.fileName ?? d.imageId,
        code: d.error!.code,
        message: d.error!.message,
      }));
    const results: Record<string, { url: string }> = {};
    for (const name of BATCH_RESULT_NAMES) {
      const key = batchResultKey(tenant, id, name);
      if (await ctx.store.exists(key)) results[name] = { url: await ctx.store.presignGet(key) };
    }
    const total = byId.size;
    const failed = counts.failedKeys.length;
    return c.json(
      {
        batchId: id,
        jobId: manifest.jobId,
        task: manifest.task,
        className: manifest.className,
        outputs: manifest.outputs,
        state: status?.state ?? "queued",
        images: {
          total,
          done: Math.min(total, counts.succeeded + failed),
          succeeded: counts.succeeded,
          failed,
        },
        shards: {
          done: shardKeys.filter((k) => k.endsWith("/done.json")).length,
          total: manifest.shards.length,
        },
        failures,
        results,
      },
      200,
    );
  });

  app.openapi(imageRoute, async (c) => {
    const { id, imageId } = c.req.valid("param");
    const tenant = tenantOf(c);
    const manifest = await readManifest(ctx, tenant, id);
    const item = manifest.shards.flatMap((s) => s.items).find((i) => i.id === imageId);
    if (!item) throw new HttpError(404, "NOT_FOUND", `batch "${id}" has no image "${imageId}"`);
    const outcome =
      (await ctx.store.getJson(batchOutcomeKey(tenant, id, "ok", imageId), BatchImageOutcomeSchema)) ??
      (await ctx.store.getJson(batchOutcomeKey(tenant, id, "failed", imageId), BatchImageOutcomeSchema));
    const results: Record<string, { url: string }> = {};
    for (const file of outcome?.files ?? []) {
      results[file] = { url: await ctx.store.presignGet(batchImageFileKey(tenant, id, imageId, file)) };
    }
    return c.json(
      {
        imageId,
        fileName: item.fileName,
        state: outcome
          ? outcome.error
            ? ("failed" as const)
            : ("succeeded" as const)
          : ("pending" as const),
        width: outcome?.width,
        height: outcome?.height,
        area: outcome?.area,
        error: outcome?.error,
        results,
      },
      200,
    );
  });
}
