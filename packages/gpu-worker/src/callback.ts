/**
 * Completion callbacks: POST the final status document to the job's callbackUrl, signed with
 * HMAC-SHA256 over `<timestamp>.<body>` when a secret is configured. Best effort, a few retries: a
 * receiver being down must not fail (or re-run) a finished job; how it went is returned, for the
 * job's status document.
 *
 * The URL came from a caller, so it is checked again here, where the request is made: https only,
 * and the address the socket connects to must be public. The check runs inside the connection's
 * DNS lookup, on the very addresses used, so a name re-pointed at 169.254.169.254 after the API
 * accepted it (DNS rebinding) is refused; redirects are not followed.
 * `ALIGNSAM_ALLOW_PRIVATE_CALLBACKS=1` lifts the check for local testing only.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import {
  AlignSamError,
  allowPrivateCallbacks,
  type CallbackDelivery,
  callbackUrlProblem,
  isNonPublicAddress,
  type JobStatus,
  type ResolveAll,
  resolveAll,
  signedHeaders,
} from "@alignsam/core/light";
import type { Logger } from "./context.ts";

export interface CallbackOptions {
  secret?: string;
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** Allow http and non-public addresses. @default ALIGNSAM_ALLOW_PRIVATE_CALLBACKS in the environment */
  allowPrivate?: boolean;
  /** Resolver for host names (tests inject one). @default dns.lookup, all addresses */
  resolve?: ResolveAll;
  /** Clock of the outcome's `at`. @default () => new Date() */
  now?: () => Date;
}

/** A connection lookup that resolves every address and refuses the host if any is non-public. */
function guardedLookup(resolve: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const bad = addresses.find((a) => isNonPublicAddress(a.address));
        if (bad) {
          const err = new AlignSamError(
            "CALLBACK_FORBIDDEN",
            `callback host ${hostname} resolves to ${bad.address}, which is not a public address`,
          );
          callback(err as NodeJS.ErrnoException, "", 0);
          return;
        }
        const wanted = addresses.filter((a) => !options.family || a.family === options.family);
        if (wanted.length === 0) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, wanted[0].address, wanted[0].family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };
}

/** One POST; resolves with the status code (redirects are answers, not followed). */
function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; lookup?: LookupFunction },
): Promise<number> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((ok, fail) => {
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: options.timeoutMs,
        ...(options.lookup ? { lookup: options.lookup } : {}),
      },
      (res) => {
        res.resume();
        res.on("end", () => ok(res.statusCode ?? 0));
        res.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`callback timed out after ${options.timeoutMs} ms`)));
    req.on("error", fail);
    req.end(body);
  });
}

/** Trim an error for the status document (the receiver's own words can be long). */
function describeError(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/**
 * POST the status and say how it went: delivered (2xx) or not, POSTs made, the last HTTP status or
 * error. Never throws; the worker records the outcome on the job's status (job-status.ts).
 */
export async function sendCallback(
  url: string,
  status: JobStatus,
  log: Logger,
  options: CallbackOptions = {},
): Promise<CallbackDelivery> {
  const now = options.now ?? (() => new Date());
  let attempts = 0;
  let lastStatus: number | undefined;
  let lastError: string | undefined;
  const outcome = (delivered: boolean): CallbackDelivery => ({
    delivered,
    attempts,
    ...(lastStatus !== undefined ? { lastStatus } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
    at: now().toISOString(),
  });
  const allowPrivate = options.allowPrivate ?? allowPrivateCallbacks();
  const problem = callbackUrlProblem(url, { allowPrivate });
  if (problem) {
    log.warn("callback refused by address policy", { jobId: status.jobId, reason: problem });
    lastError = `refused by the address policy: ${problem}`;
    return outcome(false);
  }
  const target = new URL(url);
  const lookup = allowPrivate ? undefined : guardedLookup(options.resolve ?? resolveAll);
  const body = JSON.stringify(status);
  const maxAttempts = options.attempts ?? 3;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        ...(options.secret ? signedHeaders(options.secret, body) : {}),
      };
      attempts = attempt;
      const code = await post(target, headers, body, { timeoutMs: options.timeoutMs ?? 10_000, lookup });
      lastStatus = code;
      lastError = undefined;
      if (code >= 200 && code < 300) return outcome(true);
      log.warn("callback refused", { url: target.origin, status: code, attempt, jobId: status.jobId });
      if (code < 500 && code !== 429) return outcome(false);
    } catch (e) {
      if (e instanceof AlignSamError && e.code === "CALLBACK_FORBIDDEN") {
        log.warn("callback refused by address policy", { jobId: status.jobId, reason: e.message });
        // The lookup refused before any byte was sent: no POST was made.
        attempts = attempt - 1;
        lastError = `refused by the address policy: ${e.message}`;
        return outcome(false);
      }
      lastStatus = undefined;
      lastError = describeError(e);
      log.warn("callback failed", { url: target.origin, attempt, jobId: status.jobId, error: String(e) });
    }
    if (attempt < maxAttempts)
      await new Promise((r) => setTimeout(r, (options.backoffMs ?? 500) * 2 ** (attempt - 1)));
  }
  return outcome(false);
}
