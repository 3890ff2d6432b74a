/**
 * Authenticate a retraining webhook: HMAC-SHA256 over `${timestamp}.${rawBody}` (the core's
 * signPayload), compared in constant time, with a freshness window. Each failure has its own code so
 * a sender can tell a clock problem from a wrong secret.
 */
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "@alignsam/core/light";
import { HttpError } from "../http/errors.ts";

/** How far a webhook's timestamp may be from the receiver's clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface WebhookRequest {
  readonly rawBody: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/**
 * Throw 503 WEBHOOK_DISABLED without a secret, 401 SIGNATURE_MISSING / SIGNATURE_EXPIRED /
 * SIGNATURE_INVALID otherwise; return normally for an authentic, fresh request.
 */
export function verifyWebhook(secret: string | undefined, req: WebhookRequest, now: Date): void {
  if (!secret) {
    throw new HttpError(
      503,
      "WEBHOOK_DISABLED",
      "the retrain webhook is not configured (ALIGNSAM_WEBHOOK_SECRET)",
    );
  }
  if (!req.signature || !req.timestamp) {
    throw new HttpError(
      401,
      "SIGNATURE_MISSING",
      `send ${TIMESTAMP_HEADER} (Unix seconds) and ${SIGNATURE_HEADER}: sha256=<hex>`,
    );
  }
  const ts = Number(req.timestamp);
  if (!/^\d{1,12}$/.test(req.timestamp) || !Number.isSafeInteger(ts)) {
    throw new HttpError(401, "SIGNATURE_INVALID", `${TIMESTAMP_HEADER} must be Unix seconds`);
  }
  const skew = Math.abs(Math.floor(now.getTime() / 1000) - ts);
  if (skew > WEBHOOK_TOLERANCE_SECONDS) {
    throw new HttpError(
      401,
      "SIGNATURE_EXPIRED",
      `the timestamp is ${skew}s away from now; at most ${WEBHOOK_TOLERANCE_SECONDS}s is accepted`,
    );
  }
  const ok = verifySignature(
    secret,
    { timestamp: req.timestamp, signature: req.signature, body: req.rawBody },
    { toleranceSeconds: WEBHOOK_TOLERANCE_SECONDS, now },
  );
  if (!ok)
    throw new HttpError(401, "SIGNATURE_INVALID", "the signature does not match the body and timestamp");
}
