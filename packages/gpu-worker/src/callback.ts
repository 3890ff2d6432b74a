/**
 * Completion callbacks: POST the final status document to the job's callbackUrl, signed with
 * HMAC-SHA256 over `<timestamp>.<body>` when a secret is configured. Best effort, a few retries: a
 * receiver being down must not fail (or re-run) a finished job.
 */
import { type JobStatus, signedHeaders } from "@alignsam/core/light";
import type { Logger } from "./context.ts";

export interface CallbackOptions {
  secret?: string;
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** Returns whether the receiver answered 2xx. */
export async function sendCallback(
  url: string,
  status: JobStatus,
  log: Logger,
  options: CallbackOptions = {},
): Promise<boolean> {
  const body = JSON.stringify(status);
  const attempts = options.attempts ?? 3;
  const doFetch = options.fetchImpl ?? fetch;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        ...(options.secret ? signedHeaders(options.secret, body) : {}),
      };
      const res = await doFetch(url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (res.ok) return true;
      log.warn("callback refused", { url, status: res.status, attempt, jobId: status.jobId });
      if (res.status < 500 && res.status !== 429) return false;
    } catch (e) {
      log.warn("callback failed", { url, attempt, jobId: status.jobId, error: String(e) });
    }
    if (attempt < attempts)
      await new Promise((r) => setTimeout(r, (options.backoffMs ?? 500) * 2 ** (attempt - 1)));
  }
  return false;
}
