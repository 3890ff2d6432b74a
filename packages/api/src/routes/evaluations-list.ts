/**
 * GET /v1/evaluations: the caller's recent evaluations, newest first, with their state and links to
 * whichever reports exist (summary.json, report.md, report.html), so a person can find last week's
 * run without keeping ids. Evaluations are found by listing their folders and reading each manifest
 * (creation time); past MAX_SCANNED evaluations only the first MAX_SCANNED folders are considered.
 */
import {
  EvaluationManifestSchema,
  evaluationManifestKey,
  evaluationPrefix,
  JobStateSchema,
  JobStatusSchema,
  jobStatusKey,
  tenantPrefix,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses } from "../http/errors.ts";
import { publicUrl } from "../http/public-url.ts";
import { jsonResponse } from "../http/route-specs.ts";
import { decimalIntField } from "../http/schemas.ts";
import { mapLimited } from "../usage/summary.ts";

/** Evaluations whose manifests one listing reads at most. */
export const MAX_SCANNED = 500;
/** Report files linked when present, in the order shown. */
export const REPORT_FILES = ["report.html", "report.md", "summary.json"] as const;

const EvaluationListItemSchema = z
  .object({
    evaluationId: z.string(),
    task: z.string(),
    state: JobStateSchema,
    images: z.int(),
    createdAt: z.iso.datetime(),
    statusUrl: z.url(),
    reports: z
      .record(z.string(), z.object({ url: z.url() }))
      .openapi({ description: "report name -> presigned GET URL, for those written so far" }),
  })
  .openapi("EvaluationListItem");

const route = createRoute({
  method: "get",
  path: "/v1/evaluations",
  summary: "Recent evaluations, newest first",
  request: {
    query: z.object({
      limit: decimalIntField(1, 100).default(20).openapi({ example: 20 }),
    }),
  },
  responses: {
    200: jsonResponse("recent evaluations", z.object({ evaluations: z.array(EvaluationListItemSchema) })),
    ...errorResponses(400, 401, 429),
  },
});

export function registerEvaluationListRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, async (c) => {
    const { limit } = c.req.valid("query");
    const tenant = tenantOf(c);
    const root = `${tenantPrefix(tenant)}evaluations/`;
    const ids = (await ctx.store.listFolders(root))
      .map((p) => p.slice(root.length, -1))
      .filter((id) => id.length > 0)
      .slice(0, MAX_SCANNED);
    const manifests = await mapLimited(ids, 16, (id) =>
      ctx.store.getJson(evaluationManifestKey(tenant, id), EvaluationManifestSchema).catch(() => undefined),
    );
    const recent = manifests
      .filter((m) => m !== undefined)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
      .slice(0, limit);
    const evaluations = await mapLimited(recent, 8, async (m) => {
      const prefix = evaluationPrefix(tenant, m.evalId);
      const [status, ...present] = await Promise.all([
        ctx.store.getJson(jobStatusKey(tenant, m.jobId), JobStatusSchema).catch(() => undefined),
        ...REPORT_FILES.map((name) => ctx.store.exists(`${prefix}${name}`)),
      ]);
      const reports: Record<string, { url: string }> = {};
      for (const [i, name] of REPORT_FILES.entries()) {
        if (present[i]) reports[name] = { url: await ctx.store.presignGet(`${prefix}${name}`) };
      }
      return {
        evaluationId: m.evalId,
        task: m.task,
        state: status?.state ?? (present[REPORT_FILES.indexOf("summary.json")] ? "succeeded" : "queued"),
        images: m.shards.reduce((n, s) => n + s.items.length, 0),
        createdAt: m.createdAt,
        statusUrl: publicUrl(ctx.config, c.req.url, `/v1/evaluations/${encodeURIComponent(m.evalId)}`),
        reports,
      };
    });
    return c.json({ evaluations }, 200);
  });
}
