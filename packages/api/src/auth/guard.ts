/**
 * Put rate limiting and authentication in front of every /v1 route except the signed webhooks
 * (which carry their own HMAC); /healthz, /openapi.json and the playground page stay open.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { authenticate } from "./authenticate.ts";
import { createKeyLookup } from "./key-lookup.ts";
import { rateLimit } from "./rate-limit.ts";

const UNGUARDED = /^\/v1\/webhooks(\/|$)/;

function exceptWebhooks(middleware: MiddlewareHandler): MiddlewareHandler {
  return (c, next) => (UNGUARDED.test(c.req.path) ? next() : middleware(c, next));
}

/** Register before the routes: middleware only runs for routes added after it. */
export function guardTenantRoutes(app: ApiApp, ctx: RouteContext): void {
  const lookup = createKeyLookup(ctx.store, ctx.config.keyCacheSeconds, ctx.clock);
  app.use("/v1/*", exceptWebhooks(rateLimit(ctx.config)));
  app.use("/v1/*", exceptWebhooks(authenticate(ctx.config, lookup)));
}
