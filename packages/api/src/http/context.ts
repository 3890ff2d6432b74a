/**
 * What every route handler receives: the bound store, the queue, configuration, the task registry,
 * a clock, an id source and a DNS resolver. Tests pass their own clock and resolver; nothing reads
 * globals.
 */

import type { ResolveAll, TaskRegistry } from "@alignsam/core/light";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { RequestIdVariables } from "hono/request-id";
import type { ApiConfig } from "../config.ts";
import type { Store } from "../storage/store.ts";

export interface RouteContext {
  readonly store: Store;
  readonly sqs: SQSClient;
  readonly config: ApiConfig;
  readonly tasks: TaskRegistry;
  readonly clock: () => Date;
  /** New job / upload / evaluation ids (key-segment safe). */
  readonly newId: () => string;
  /** Every address of a host name (callback hosts are checked with it at submit). */
  readonly resolveHost: ResolveAll;
}

export type ApiEnv = { Variables: RequestIdVariables };
export type ApiApp = OpenAPIHono<ApiEnv>;
