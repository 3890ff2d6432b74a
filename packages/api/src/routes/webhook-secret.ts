/**
 * POST /v1/webhook-secret: create (or rotate) the caller's tenant's retrain-webhook secret. The
 * secret is answered once; the API keeps it at `tenants/<t>/webhook/secret.json` because verifying
 * an HMAC needs the key itself (a hash would not do). Rotating replaces it at once: signatures made
 * with the old one are refused from then on.
 */
import { randomBytes } from "node:crypto";
import { type WebhookSecretRecord, webhookSecretKey } from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { principalOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses } from "../http/errors.ts";
import { jsonResponse } from "../http/route-specs.ts";
import { TENANT_HEADER } from "../webhook/tenant-secret.ts";

const route = createRoute({
  method: "post",
  path: "/v1/webhook-secret",
  summary: "Create or rotate your retrain-webhook secret (shown once)",
  responses: {
    201: jsonResponse(
      "the new secret; sign webhook requests with it and send your tenant in the tenant header",
      z
        .object({
          tenant: z.string(),
          secret: z.string(),
          createdAt: z.string(),
          tenantHeader: z.string(),
        })
        .openapi("WebhookSecret"),
    ),
    ...errorResponses(401, 429, 503),
  },
});

export function registerWebhookSecretRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    const record: WebhookSecretRecord = {
      v: 1,
      tenant: principal.tenant,
      secret: `whsec_${randomBytes(32).toString("hex")}`,
      createdAt: ctx.clock().toISOString(),
      ...(principal.keyId ? { keyId: principal.keyId } : {}),
    };
    await ctx.store.putJson(webhookSecretKey(principal.tenant), record);
    return c.json(
      {
        tenant: record.tenant,
        secret: record.secret,
        createdAt: record.createdAt,
        tenantHeader: TENANT_HEADER,
      },
      201,
    );
  });
}
