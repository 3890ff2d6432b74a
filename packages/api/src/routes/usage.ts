/**
 * GET /v1/usage?from&to: the caller's metered usage in [from, to) (records dated by when their job
 * was accepted), summed and split by kind, and where the key has a quota, how much of it is used.
 */
import { USAGE_KINDS } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { jsonResponse } from "../http/route-specs.ts";
import { measureQuota } from "../usage/quota.ts";
import { readUsage, sumUsage } from "../usage/summary.ts";

/** Longest range one request may sum. */
const MAX_RANGE_DAYS = 366;

const InstantSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s));

export const UsageQuerySchema = z.object({
  from: InstantSchema.optional().openapi({
    param: { name: "from", in: "query" },
    type: "string",
    example: "2026-11-01",
    description: "ISO date or date-time (inclusive); default: the first day of this month (UTC)",
  }),
  to: InstantSchema.optional().openapi({
    param: { name: "to", in: "query" },
    type: "string",
    example: "2026-12-01",
    description: "ISO date or date-time (exclusive; a date is its midnight UTC); default: now",
  }),
});

const TotalsSchema = z.object({
  records: z.int(),
  jobs: z.int(),
  images: z.int(),
  steps: z.int(),
  modelSeconds: z.number(),
});

const UsageViewSchema = z
  .object({
    tenant: z.string(),
    keyId: z.string().optional(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    totals: TotalsSchema,
    byKind: z.object(
      Object.fromEntries(USAGE_KINDS.map((k) => [k, TotalsSchema])) as Record<
        (typeof USAGE_KINDS)[number],
        typeof TotalsSchema
      >,
    ),
    trainingMinutes: z.number().openapi({
      description:
        "wall time of the training runs in the range (one record per run, however often it was retried)",
    }),
    quota: z.object({ limit: z.int(), used: z.int(), remaining: z.int() }).nullable().openapi({
      description:
        "images (segment, evaluation, and a training run's labelled images), all time, including accepted work not yet metered",
    }),
  })
  .openapi("Usage");

const route = createRoute({
  method: "get",
  path: "/v1/usage",
  summary: "Metered usage of the caller's tenant",
  request: { query: UsageQuerySchema },
  responses: {
    200: jsonResponse("usage totals", UsageViewSchema),
    ...errorResponses(400, 401),
  },
});

export function registerUsageRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const principal = principalOf(c);
    const now = ctx.clock();
    const to = query.to ?? new Date(now.getTime() + 1);
    const from = query.from ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    if (!(from < to)) throw new HttpError(400, "INVALID_REQUEST", "`from` must be before `to`");
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw new HttpError(400, "INVALID_REQUEST", `the range is longer than ${MAX_RANGE_DAYS} days`);
    }
    const [records, quota] = await Promise.all([
      readUsage(ctx, principal.tenant, from, to),
      principal.quota === null ? undefined : measureQuota(ctx, principal.tenant),
    ]);
    const { totals, byKind } = sumUsage(records);
    return c.json(
      {
        tenant: principal.tenant,
        ...(principal.keyId ? { keyId: principal.keyId } : {}),
        from: from.toISOString(),
        to: to.toISOString(),
        totals,
        byKind,
        trainingMinutes: Math.round((byKind.train.modelSeconds / 60) * 100) / 100,
        quota:
          quota && principal.quota !== null
            ? {
                limit: principal.quota,
                used: quota.used,
                remaining: Math.max(0, principal.quota - quota.used),
              }
            : null,
      },
      200,
    );
  });
}
