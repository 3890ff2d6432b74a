/**
 * HMAC-SHA256 signatures for webhooks in both directions (completion callbacks the worker sends,
 * retraining webhooks the API receives): the signature covers `<timestamp>.<body>`, so a replayed
 * body with a fresh timestamp fails, and the receiver refuses stale timestamps.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-alignsam-signature";
export const TIMESTAMP_HEADER = "x-alignsam-timestamp";

/** `sha256=<hex>` over `${timestamp}.${body}`; timestamp in Unix seconds. */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Headers to send with a signed body. */
export function signedHeaders(secret: string, body: string, now: Date = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signPayload(secret, timestamp, body) };
}

/**
 * Check a signed body in constant time; false for a bad signature or a timestamp more than
 * `toleranceSeconds` away from now.
 */
export function verifySignature(
  secret: string,
  args: { timestamp: string | undefined; signature: string | undefined; body: string },
  options: { toleranceSeconds?: number; now?: Date } = {},
): boolean {
  const ts = Number(args.timestamp);
  if (!args.signature || !Number.isInteger(ts)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - ts) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, ts, args.body));
  const given = Buffer.from(args.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
