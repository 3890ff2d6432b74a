/**
 * Test support: the one setup every route test shares. `useTestApp` registers the hooks that start
 * a real emulator (./emulator.ts) for the file, build the app on it, empty the emulator before each
 * test and stop it after the file; the test reads `stack` and `app` once the hooks have run.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type AppDeps, createApp } from "../app.ts";
import type { ApiConfig } from "../config.ts";
import type { ApiApp } from "../http/context.ts";
import { startTestStack, type TestStack } from "./emulator.ts";

/** What a test may set on the app besides the emulator's clients and configuration. */
export type TestAppOptions = Omit<AppDeps, "s3" | "sqs" | "config">;

export interface TestApp {
  /** The emulator of this file (started in `beforeAll`). */
  readonly stack: TestStack;
  /** The app built on it with the file's configuration overrides and options. */
  readonly app: ApiApp;
  /**
   * Another app on the same emulator: the file's options and configuration with these changed
   * (a tighter rate limit, a queue that does not exist, a later clock).
   */
  variant(config?: Partial<ApiConfig>, options?: TestAppOptions): ApiApp;
}

/**
 * Register the emulator's start / reset / stop hooks for the enclosing `describe` and return
 * accessors for the stack and the app. Call it first in the `describe`, so that its reset runs
 * before the file's own `beforeEach` seeds anything.
 *
 * @example
 * describe("batches", () => {
 *   const t = useTestApp({ batchShardSize: 2 });
 *   it("...", async () => expect((await t.app.request("/v1/tasks")).status).toBe(200));
 * });
 */
export function useTestApp(
  overrides: Partial<Record<keyof ApiConfig, unknown>> = {},
  options: TestAppOptions = {},
): TestApp {
  let stack: TestStack | undefined;
  let app: ApiApp | undefined;
  const started = () => {
    if (!stack)
      throw new Error("useTestApp: the test stack starts in beforeAll; read it inside a test or hook");
    return stack;
  };
  const variant = (config: Partial<ApiConfig> = {}, more: TestAppOptions = {}) => {
    const s = started();
    return createApp({ ...options, ...more, s3: s.s3, sqs: s.sqs, config: { ...s.config, ...config } });
  };

  beforeAll(async () => {
    stack = await startTestStack(overrides);
    app = variant();
  });
  afterAll(() => stack?.stop());
  beforeEach(() => started().server.reset());

  return {
    get stack() {
      return started();
    },
    get app() {
      started();
      return app!;
    },
    variant,
  };
}
