/**
 * One error shape for every response that is not a success: `{error: {code, message, requestId,
 * details?}}`. Codes are stable strings clients can branch on; messages say what to do.
 */
import type { AlignSamErrorCode } from "@alignsam/core/light";
import { AlignSamError } from "@alignsam/core/light";
// One classification of S3 and SQS failures for every package: an outage answers 503.
import { isDependencyOutage } from "@alignsam/core/storage";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Codes the HTTP layer adds to the core's: transport, auth and lookup failures. */
export type HttpOnlyErrorCode =
  | "INVALID_REQUEST"
  | "INVALID_JSON"
  | "NOT_FOUND"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UPLOAD_NOT_FOUND"
  | "SIGNATURE_MISSING"
  | "SIGNATURE_INVALID"
  | "SIGNATURE_EXPIRED"
  | "SIGNATURE_REPLAYED"
  | "WEBHOOK_DISABLED"
  | "QUEUE_UNAVAILABLE"
  | "UNAVAILABLE"
  | "UNAUTHORIZED"
  | "QUOTA_EXCEEDED"
  /** POST /v1/tasks with a name the tenant (or the built-ins) already use. */
  | "TASK_EXISTS"
  /** Promote of a version the promotion guard refused, or rollback with nothing to roll back to. */
  | "PROMOTION_REFUSED"
  | "RATE_LIMITED"
  /** The API serves the playground page only after its front end was built (npm run build). */
  | "PLAYGROUND_NOT_BUILT"
  | "INTERNAL";
export type ApiErrorCode = AlignSamErrorCode | HttpOnlyErrorCode;

/** An error that knows its HTTP status; thrown by handlers, rendered by the app's onError. */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ApiErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: ApiErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "UNKNOWN_TASK" }),
      message: z.string().openapi({ example: 'unknown task "foo"; expected one of: blur, shadow' }),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Status of each core error code; anything unlisted is the server's fault (500). */
const CORE_STATUS: Partial<Record<AlignSamErrorCode, ContentfulStatusCode>> = {
  IMAGE_EMPTY: 400,
  IMAGE_DECODE: 400,
  IMAGE_UNSUPPORTED_FORMAT: 415,
  IMAGE_TOO_LARGE: 413,
  UNKNOWN_TASK: 400,
  INVALID_ARGUMENT: 400,
  CALLBACK_FORBIDDEN: 400,
  TEXT_UNSUPPORTED: 400,
  DATASET_NOT_FOUND: 404,
  DATASET_MISMATCH: 400,
  POLICY_NOT_FOUND: 404,
  POLICY_INCOMPATIBLE: 409,
};

/** Seconds a client should wait before retrying a 503 caused by storage or the queue. */
export const RETRY_AFTER_SECONDS = 5;

/** Codes whose 503 means "a dependency is down, try again": they carry Retry-After. */
const RETRYABLE_CODES: ReadonlySet<ApiErrorCode> = new Set(["UNAVAILABLE", "QUEUE_UNAVAILABLE"]);

/** Turn anything thrown into an HttpError, keeping internals out of the message of a 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isDependencyOutage(err)) {
    return new HttpError(503, "UNAVAILABLE", "storage or the job queue is unavailable; retry shortly", {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
  if (err instanceof AlignSamError) {
    return new HttpError(CORE_STATUS[err.code] ?? 500, err.code, err.message, err.details);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 413) return new HttpError(413, "PAYLOAD_TOO_LARGE", "request body is too large");
    if (status === 415) {
      return new HttpError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "unsupported Content-Type; send the type the route documents in GET /openapi.json (application/json, or multipart/form-data for an image upload)",
      );
    }
    if (status === 400 && /json/i.test(err.message)) {
      return new HttpError(400, "INVALID_JSON", "request body is not valid JSON");
    }
    if (status === 400) return new HttpError(400, "INVALID_REQUEST", err.message || "malformed request");
    return new HttpError(status, status >= 500 ? "INTERNAL" : "INVALID_REQUEST", err.message);
  }
  return new HttpError(500, "INTERNAL", "internal error; quote the request id when reporting it");
}

/** Render an error as the JSON envelope, with the request id the middleware put on the context. */
export function errorResponse(c: Context, err: HttpError): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "unknown";
  const body: ErrorBody = {
    error: {
      code: err.code,
      message: err.message,
      requestId,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  };
  if (err.status === 503 && RETRYABLE_CODES.has(err.code))
    c.header("Retry-After", String(RETRY_AFTER_SECONDS));
  return c.json(body, err.status);
}

/** The hook every route's validators use: a schema failure is a 400 listing each issue's path. */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  return errorResponse(c, new HttpError(400, "INVALID_REQUEST", `invalid request: ${summary}`, { issues }));
}

/** Response entries for the OpenAPI document: every route declares the error envelope. */
export function errorResponses(...statuses: ContentfulStatusCode[]) {
  const descriptions: Record<number, string> = {
    400: "invalid request",
    401: "missing, invalid or replayed signature",
    404: "not found",
    413: "body too large",
    415: "unsupported media type",
    409: "conflict",
    503: "storage or queue unavailable (Retry-After), or webhook not configured",
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: descriptions[s] ?? "error",
        content: { "application/json": { schema: ErrorBodySchema } },
      },
    ]),
  );
}
