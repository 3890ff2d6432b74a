/**
 * The API's log: JSON lines, each carrying the request id of the request it happened in (kept in an
 * AsyncLocalStorage, so code far from the handler logs with it without passing it along), and never
 * a header, a query string or a body, which is where secrets and API keys travel.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { MiddlewareHandler } from "hono";

export interface ApiLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const scope = new AsyncLocalStorage<{ requestId: string }>();

/** Where lines go: stdout for info, stderr for the rest (Lambda and containers collect both). */
export type LogSink = (level: "info" | "warn" | "error", line: string) => void;

const consoleSink: LogSink = (level, line) => (level === "info" ? console.log(line) : console.error(line));

const LEVELS = { info: 0, warn: 1, error: 2, silent: 3 } as const;
type Level = keyof typeof LEVELS;

/**
 * ALIGNSAM_LOG_LEVEL (info, warn, error, silent); default info, or warn inside vitest so access
 * lines of in-process app tests do not flood the test output.
 */
function levelFromEnv(env: Record<string, string | undefined> = process.env): Level {
  const v = env.ALIGNSAM_LOG_LEVEL?.toLowerCase();
  if (v && v in LEVELS) return v as Level;
  return env.VITEST ? "warn" : "info";
}

/**
 * A logger that stamps every line with the current request id (when inside a request) and the
 * time. Fields named like credentials are replaced by "***" as a last line of defence.
 */
export function createLogger(sink: LogSink = consoleSink, minLevel: Level = levelFromEnv()): ApiLogger {
  const line = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    const requestId = scope.getStore()?.requestId;
    const safe: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields ?? {})) {
      safe[k] = /secret|token|password|authorization|api[-_]?key|signature/i.test(k) ? "***" : v;
    }
    sink(
      level,
      JSON.stringify({
        t: new Date().toISOString(),
        level,
        msg,
        ...(requestId ? { requestId } : {}),
        ...safe,
      }),
    );
  };
  return {
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
  };
}

/** The process-wide logger routes and helpers use. */
export const apiLog: ApiLogger = createLogger();

/**
 * Run the rest of the request inside its request-id scope and write one access line when it ends:
 * method, path (no query), status, duration. Mount after hono's requestId middleware.
 */
export function requestLogging(log: ApiLogger = apiLog): MiddlewareHandler {
  return async (c, next) => {
    const requestId = (c.get("requestId") as string | undefined) ?? "unknown";
    const started = performance.now();
    await scope.run({ requestId }, async () => {
      await next();
      log.info("request", {
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      });
    });
  };
}

/** The request id of the request being handled, if any (for errors built outside a handler). */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
