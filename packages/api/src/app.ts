/**
 * The API as a value: `createApp` wires clients and configuration into a Hono app, so the Node and
 * Lambda entries stay two lines each and tests call `app.request(...)` against real clients.
 */
import { randomUUID } from "node:crypto";
import { defaultTaskRegistry, type ResolveAll, resolveAll, type TaskRegistry } from "@alignsam/core/light";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { guardTenantRoutes } from "./auth/guard.ts";
import type { ApiConfig } from "./config.ts";
import type { ApiApp, ApiEnv, RouteContext } from "./http/context.ts";
import { errorResponse, HttpError, toHttpError, validationHook } from "./http/errors.ts";
import { limitEveryBody } from "./http/limits.ts";
import { apiLog, requestLogging } from "./http/logger.ts";
import { registerBatchRoutes } from "./routes/batches.ts";
import { registerDatasetRoutes } from "./routes/datasets.ts";
import { registerEvaluationRoutes } from "./routes/evaluations.ts";
import { registerEvaluationListRoutes } from "./routes/evaluations-list.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerJobResultRoutes } from "./routes/job-results.ts";
import { registerJobRoutes } from "./routes/jobs.ts";
import { registerOpenApiRoute } from "./routes/openapi.ts";
import { registerPlaygroundRoutes } from "./routes/playground.ts";
import { registerPolicyRoutes } from "./routes/policies.ts";
import { registerSegmentRoutes } from "./routes/segment.ts";
import { registerTaskRoutes } from "./routes/tasks.ts";
import { registerTrainingRoutes } from "./routes/trainings.ts";
import { registerUploadRoutes } from "./routes/uploads.ts";
import { registerUsageRoutes } from "./routes/usage.ts";
import { registerWebhookSecretRoutes } from "./routes/webhook-secret.ts";
import { registerWebhookRoutes } from "./routes/webhooks.ts";
import { createStore } from "./storage/store.ts";
import { createQuotaCounter, useQuotaCounter } from "./usage/quota.ts";

export interface AppDeps {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly config: ApiConfig;
  /** Time source for status documents and webhook freshness. @default () => new Date() */
  readonly clock?: () => Date;
  /** Tasks the API accepts. @default defaultTaskRegistry */
  readonly tasks?: TaskRegistry;
  /** Id source for jobs and uploads. @default crypto.randomUUID */
  readonly newId?: () => string;
  /** Resolver of callback host names (all addresses). @default dns.lookup with all: true */
  readonly resolveHost?: ResolveAll;
  /** Folder of the built playground page served at `/`. @default packages/api/playground/dist */
  readonly playgroundDist?: string;
}

/**
 * Build the HTTP app. Every route validates its input by schema, answers errors as
 * `{error: {code, message, requestId, details?}}` and echoes `x-request-id`.
 *
 * @example
 * const app = createApp({ s3, sqs, config: loadConfig(process.env) });
 * const res = await app.request("/v1/tasks");
 */
export function createApp(deps: AppDeps): ApiApp {
  const ctx: RouteContext = {
    store: createStore(deps.s3, deps.config.bucket, deps.config.presignExpirySeconds),
    sqs: deps.sqs,
    config: deps.config,
    tasks: deps.tasks ?? defaultTaskRegistry,
    clock: deps.clock ?? (() => new Date()),
    newId: deps.newId ?? randomUUID,
    resolveHost: deps.resolveHost ?? resolveAll,
  };
  useQuotaCounter(ctx, createQuotaCounter({ s3: deps.s3, config: deps.config, clock: ctx.clock }));
  const app: ApiApp = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use("*", requestId({ headerName: "x-request-id" }));
  app.use("*", requestLogging());
  app.use("*", limitEveryBody(deps.config));
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.code === "INTERNAL") apiLog.error("request failed", { error: String(err) });
    if (httpError.code === "UNAVAILABLE") apiLog.warn("dependency unavailable", { error: String(err) });
    return errorResponse(c, httpError);
  });
  app.notFound((c) =>
    errorResponse(
      c,
      new HttpError(404, "NOT_FOUND", `no route ${c.req.method} ${new URL(c.req.url).pathname}`),
    ),
  );

  guardTenantRoutes(app, ctx);
  registerHealthRoutes(app);
  registerTaskRoutes(app, ctx);
  registerUploadRoutes(app, ctx);
  registerSegmentRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerJobResultRoutes(app, ctx);
  registerEvaluationListRoutes(app, ctx);
  registerEvaluationRoutes(app, ctx);
  registerBatchRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerDatasetRoutes(app, ctx);
  registerPolicyRoutes(app, ctx);
  registerTrainingRoutes(app, ctx);
  registerWebhookSecretRoutes(app, ctx);
  registerUsageRoutes(app, ctx);
  registerOpenApiRoute(app);
  registerPlaygroundRoutes(app, { dist: deps.playgroundDist });
  return app;
}
