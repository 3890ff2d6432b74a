/**
 * GET /v1/jobs/{id}: the job's status document, with a presigned GET URL for every result object
 * present (listed, not only those the status names, so partial results of a running job show too).
 */
import {
  CallbackDeliverySchema,
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationShardsPrefix,
  isTerminal,
  JobErrorSchema,
  JobKindSchema,
  JobStateSchema,
  type JobStatus,
  JobStatusSchema,
  jobPrefix,
  jobStatusKey,
  PolicyServedSchema,
} from "@alignsam/core/light";
import { z } from "@hono/zod-openapi";
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { getByIdRoute } from "../http/route-specs.ts";
import { batchProgress } from "./batches.ts";

const ResultLinkSchema = z.object({ url: z.url() });

export const JobViewSchema = z
  .object({
    jobId: z.string(),
    kind: JobKindSchema,
    state: JobStateSchema,
    progress: z.object({ done: z.int(), total: z.int() }),
    error: JobErrorSchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    attempts: z.int(),
    summary: z.record(z.string(), z.unknown()).optional(),
    policy: PolicyServedSchema.optional().openapi({
      description:
        "which policy served the job: your tenant's version, or the bundled one (source, task, version)",
    }),
    callback: CallbackDeliverySchema.optional().openapi({
      description:
        "how the completion callback went (absent until a terminal job with a callbackUrl has sent it): delivered on a 2xx, POSTs attempted, the last HTTP status or error, when it ended",
    }),
    results: z
      .record(z.string(), ResultLinkSchema)
      .openapi({ description: "result name -> presigned GET URL" }),
    resultsExpireAt: z.iso.datetime(),
  })
  .openapi("Job");

const route = getByIdRoute({
  path: "/v1/jobs/{id}",
  summary: "Job status and result URLs",
  description: "the job",
  schema: JobViewSchema,
});

/** Presign every object under `prefix` plus the named keys that lie inside it, by result name. */
export async function presignResults(
  ctx: RouteContext,
  prefix: string,
  named: Record<string, string> = {},
): Promise<Record<string, { url: string }>> {
  const byName = new Map<string, string>();
  for (const [name, key] of Object.entries(named)) if (key.startsWith(prefix)) byName.set(name, key);
  for (const key of await ctx.store.listKeys(prefix, 1000)) byName.set(key.slice(prefix.length), key);
  const entries = await Promise.all(
    [...byName].map(async ([name, key]) => [name, { url: await ctx.store.presignGet(key) }] as const),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Progress of a running evaluation: shards done / total, counted from the shards' done markers. The
 * workers leave the status document's progress alone while shards run (a shard's late write could
 * otherwise land after the reduce's terminal one), so the markers are the live count.
 */
export async function evaluationProgress(
  ctx: RouteContext,
  status: JobStatus,
): Promise<{ done: number; total: number }> {
  if (isTerminal(status.state)) return status.progress;
  // A batch counts images with an outcome (./batches.ts), an evaluation its shards' done markers.
  if (status.kind === "batch")
    return (await batchProgress(ctx, status.tenant, status.jobId)) ?? status.progress;
  if (status.kind !== "evaluation") return status.progress;
  // The API mints one id for both the evaluation and its job.
  const manifest = await ctx.store.getJson(
    evaluationManifestKey(status.tenant, status.jobId),
    EvaluationManifestSchema,
  );
  if (!manifest) return status.progress;
  const markers = await ctx.store.listKeys(evaluationShardsPrefix(status.tenant, status.jobId));
  const total = manifest.shards.length;
  return { done: Math.min(total, markers.filter((k) => k.endsWith("/done.json")).length), total };
}

export function registerJobRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    // Another tenant's job id reads an absent key here: the same 404 as an unknown id.
    const tenant = tenantOf(c);
    const status = await ctx.store.getJson(jobStatusKey(tenant, id), JobStatusSchema);
    if (!status) throw new HttpError(404, "NOT_FOUND", `no job "${id}"`);
    const results = await presignResults(ctx, `${jobPrefix(tenant, id)}results/`, status.resultKeys);
    const resultsExpireAt = new Date(
      ctx.clock().getTime() + ctx.config.presignExpirySeconds * 1000,
    ).toISOString();
    return c.json(
      {
        jobId: status.jobId,
        kind: status.kind,
        state: status.state,
        progress: await evaluationProgress(ctx, status),
        error: status.error,
        createdAt: status.createdAt,
        updatedAt: status.updatedAt,
        startedAt: status.startedAt,
        finishedAt: status.finishedAt,
        attempts: status.attempts,
        summary: status.summary,
        callback: status.callback,
        ...(status.policy ? { policy: status.policy } : {}),
        results,
        resultsExpireAt,
      },
      200,
    );
  });
}
