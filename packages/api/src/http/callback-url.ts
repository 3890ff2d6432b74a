/**
 * The submit-time half of the callback SSRF guard (the worker checks again on connecting). The
 * core's rule (`callbackUrlProblem`: https, no credentials, no internal name or non-public literal)
 * plus two of the API's own: the default https port only, and a host name that resolves, every
 * address public. A name that does not exist (ENOTFOUND) is refused: a callback to it can never be
 * delivered. A DNS timeout or server failure is let through, since the worker resolves and checks
 * again on connecting and a DNS hiccup must not refuse a job.
 * `ALIGNSAM_ALLOW_PRIVATE_CALLBACKS=1` lifts all of this for local testing only.
 */
import { isIP } from "node:net";
import {
  AlignSamError,
  allowPrivateCallbacks,
  callbackUrlProblem,
  isNonPublicAddress,
  type ResolveAll,
} from "@alignsam/core/light";

/** Lookup errors that mean "this name has no address", not "DNS is unwell". */
const NO_SUCH_NAME = new Set(["ENOTFOUND", "ENODATA"]);

function forbidden(message: string): AlignSamError {
  return new AlignSamError("CALLBACK_FORBIDDEN", message, { field: "callbackUrl" });
}

/**
 * What can be said of a callback URL without DNS, or undefined when it is fine.
 *
 * @example
 * callbackUrlSyntaxProblem("https://hooks.example.com:8443/cb", { allowPrivate: false });
 * // "callbackUrl must use the default https port (443), not 8443"
 */
export function callbackUrlSyntaxProblem(
  url: string,
  options: { allowPrivate: boolean },
): string | undefined {
  const problem = callbackUrlProblem(url, options);
  if (problem || options.allowPrivate) return problem;
  // Only 443: a callback is a request from inside the service to a port a caller chose.
  const port = new URL(url).port;
  return port === "" ? undefined : `callbackUrl must use the default https port (443), not ${port}`;
}

/**
 * Resolve the callback's host (every address) and throw CALLBACK_FORBIDDEN (400) when it does not
 * exist or any address is not public. Literal addresses were checked by `callbackUrlSyntaxProblem`.
 *
 * @example
 * await checkCallbackHost("https://hooks.example.com/cb", { resolve: resolveAll });
 */
export async function checkCallbackHost(
  url: string | undefined,
  options: { resolve: ResolveAll; allowPrivate?: boolean; timeoutMs?: number },
): Promise<void> {
  if (url === undefined || (options.allowPrivate ?? allowPrivateCallbacks())) return;
  const host = new URL(url).hostname;
  if (isIP(host.replace(/^\[|\]$/g, ""))) return;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    options.resolve(host).then(
      (addresses) => ({ addresses }),
      (err: NodeJS.ErrnoException) => ({ code: err?.code }),
    ),
    new Promise<{ code: "TIMEOUT" }>((ok) => {
      timer = setTimeout(() => ok({ code: "TIMEOUT" }), options.timeoutMs ?? 2000);
    }),
  ]).finally(() => clearTimeout(timer));
  if ("addresses" in outcome) {
    const bad = outcome.addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) {
      throw forbidden(`callbackUrl host "${host}" resolves to ${bad.address}, which is not a public address`);
    }
    if (outcome.addresses.length === 0) throw forbidden(`callbackUrl host "${host}" has no address`);
    return;
  }
  if (outcome.code && NO_SUCH_NAME.has(outcome.code)) {
    throw forbidden(`callbackUrl host "${host}" does not resolve (${outcome.code}); check the name`);
  }
}
