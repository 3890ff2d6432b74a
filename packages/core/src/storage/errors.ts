/**
 * The one classification of storage (and other AWS SDK) failures: not found, precondition failed,
 * or an outage worth another try later. Every package asks these instead of reading error names and
 * status codes itself. The shapes are duck-typed so errors from any SDK client (S3, SQS) and from the
 * filesystem adapter classify alike.
 */

interface SdkErrorShape {
  name?: string;
  code?: string;
  $fault?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const shape = (e: unknown): SdkErrorShape | undefined =>
  e && typeof e === "object" ? (e as SdkErrorShape) : undefined;

/** The object (or key) does not exist: a 404, NoSuchKey, NotFound, or a missing file. */
export function isNotFound(e: unknown): boolean {
  const err = shape(e);
  if (!err) return false;
  return (
    err.name === "NoSuchKey" ||
    err.name === "NotFound" ||
    err.$metadata?.httpStatusCode === 404 ||
    err.code === "ENOENT" ||
    err.code === "ENOTDIR"
  );
}

/**
 * A conditional write lost: If-None-Match found an object, or If-Match found another ETag (412), or
 * a concurrent conditional write was in flight (409 ConditionalRequestConflict).
 */
export function isPreconditionFailed(e: unknown): boolean {
  const err = shape(e);
  if (!err) return false;
  const status = err.$metadata?.httpStatusCode;
  return (
    err.name === "PreconditionFailed" ||
    err.name === "ConditionalRequestConflict" ||
    status === 412 ||
    status === 409
  );
}

const NETWORK_CODES =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|UND_ERR)/;

/**
 * The service, not the request, failed: connection refused or reset, a timeout, throttling, a 5xx,
 * an error the SDK marks retryable. After the SDK's own bounded retries this means "down": the API
 * answers 503 with Retry-After, the worker retries an idempotent write and then leaves the message
 * for redelivery.
 */
export function isDependencyOutage(e: unknown): boolean {
  const err = shape(e);
  if (!err) return false;
  if (typeof err.code === "string" && NETWORK_CODES.test(err.code)) return true;
  if (err.name === "TimeoutError" || /Throttl|SlowDown|RequestTimeout/.test(err.name ?? "")) return true;
  if (err.$fault === "server" || err.$retryable !== undefined) return true;
  if ((err.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return err.cause !== undefined && err.cause !== e && isDependencyOutage(err.cause);
}
