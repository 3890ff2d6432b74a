/**
 * Which secret signs a retrain webhook: with the tenant header, that tenant's own secret (made with
 * POST /v1/webhook-secret); without it, the operator's ALIGNSAM_WEBHOOK_SECRET (kept for operator CI;
 * it may train for any tenant, and still promotes only for the dataset's tenant).
 */
import { KeySegmentSchema, WebhookSecretRecordSchema, webhookSecretKey } from "@alignsam/core/light";
import type { RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";

export const TENANT_HEADER = "x-alignsam-tenant";

export interface WebhookSigner {
  /** The tenant the signature speaks for; undefined for the operator's secret. */
  readonly tenant: string | undefined;
  readonly secret: string | undefined;
}

export async function webhookSigner(
  ctx: RouteContext,
  tenantHeader: string | undefined,
): Promise<WebhookSigner> {
  if (tenantHeader === undefined) return { tenant: undefined, secret: ctx.config.webhookSecret };
  if (!KeySegmentSchema.safeParse(tenantHeader).success) {
    throw new HttpError(401, "SIGNATURE_INVALID", `${TENANT_HEADER} is not a tenant id`);
  }
  const record = await ctx.store.getJson(webhookSecretKey(tenantHeader), WebhookSecretRecordSchema);
  if (!record) {
    // The same answer as a wrong signature: whether a tenant exists is not told to strangers.
    throw new HttpError(401, "SIGNATURE_INVALID", "the signature does not match the body and timestamp");
  }
  return { tenant: tenantHeader, secret: record.secret };
}
