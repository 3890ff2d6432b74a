/**
 * Requests per minute per API key (hono-rate-limiter, in-memory: each API instance counts on its
 * own, so N instances admit up to N times the limit). Keyed by the token's hash before the key is
 * looked up, so a flood with one bad token is throttled before it costs S3 reads; requests without
 * a token share the anonymous tenant's budget.
 */
import { apiKeyIdFromHash, hashApiKeySecret } from "@alignsam/core/light";
import type { MiddlewareHandler } from "hono";
import { rateLimiter } from "hono-rate-limiter";
import type { ApiConfig } from "../config.ts";
import { errorResponse, HttpError } from "../http/errors.ts";

/** The bucket a request counts against: the key id its token would have, or the anonymous tenant. */
export function rateLimitKey(authorization: string | undefined): string {
  const token = /^Bearer[ \t]+(\S+)/i.exec(authorization ?? "")?.[1];
  return token ? `key:${apiKeyIdFromHash(hashApiKeySecret(token))}` : "anonymous";
}

export function rateLimit(config: Pick<ApiConfig, "rateLimitPerMinute">): MiddlewareHandler {
  const limit = config.rateLimitPerMinute;
  return rateLimiter({
    windowMs: 60_000,
    limit,
    standardHeaders: "draft-6",
    keyGenerator: (c) => rateLimitKey(c.req.header("authorization")),
    handler: (c) => {
      const retryAfter = Number(c.res.headers.get("Retry-After") ?? 60);
      return errorResponse(
        c,
        new HttpError(
          429,
          "RATE_LIMITED",
          `more than ${limit} requests in a minute; retry after ${retryAfter} s`,
          {
            limitPerMinute: limit,
            retryAfterSeconds: retryAfter,
          },
        ),
      );
    },
  });
}
