/**
 * Where completion callbacks may go. A callback is a server-side request to a URL a caller chose,
 * so without a check it reaches the cloud metadata service, the VPC and loopback (SSRF). One rule,
 * shared by the API (at submit time) and the worker (again, on the very address it connects to, so
 * a name re-pointed after submission — DNS rebinding — is caught): https only, and every address the
 * host resolves to must be public unicast.
 *
 * `ALIGNSAM_ALLOW_PRIVATE_CALLBACKS=1` lifts both rules for local testing (loopback receivers over
 * http); never set it in a deployment.
 */
import { lookup as dnsLookup } from "node:dns";
import { BlockList, isIP } from "node:net";
import { AlignSamError } from "../errors.ts";

/** The opt-out's environment variable (local testing only). */
export const ALLOW_PRIVATE_CALLBACKS_ENV = "ALIGNSAM_ALLOW_PRIVATE_CALLBACKS";

/** True when the opt-out is set in `env` ("1", "true" or "yes"). */
export function allowPrivateCallbacks(env: Record<string, string | undefined> = process.env): boolean {
  return /^(1|true|yes)$/i.test(env[ALLOW_PRIVATE_CALLBACKS_ENV] ?? "");
}

/** Ranges no callback may reach: not globally routable, or able to embed one that is not. */
const NON_PUBLIC: ReadonlyArray<readonly [string, number, "ipv4" | "ipv6"]> = [
  ["0.0.0.0", 8, "ipv4"], // "this" network
  ["10.0.0.0", 8, "ipv4"], // private
  ["100.64.0.0", 10, "ipv4"], // carrier-grade NAT
  ["127.0.0.0", 8, "ipv4"], // loopback
  ["169.254.0.0", 16, "ipv4"], // link-local (cloud metadata)
  ["172.16.0.0", 12, "ipv4"], // private
  ["192.0.0.0", 24, "ipv4"], // IETF protocol assignments
  ["192.0.2.0", 24, "ipv4"], // documentation
  ["192.88.99.0", 24, "ipv4"], // 6to4 relay anycast
  ["192.168.0.0", 16, "ipv4"], // private
  ["198.18.0.0", 15, "ipv4"], // benchmarking
  ["198.51.100.0", 24, "ipv4"], // documentation
  ["203.0.113.0", 24, "ipv4"], // documentation
  ["224.0.0.0", 4, "ipv4"], // multicast
  ["240.0.0.0", 4, "ipv4"], // reserved, broadcast
  ["::", 96, "ipv6"], // unspecified, loopback, IPv4-compatible
  ["::ffff:0:0", 96, "ipv6"], // IPv4-mapped
  ["64:ff9b::", 96, "ipv6"], // NAT64 (embeds an IPv4 address)
  ["64:ff9b:1::", 48, "ipv6"], // local-use NAT64
  ["100::", 64, "ipv6"], // discard
  ["2001::", 32, "ipv6"], // Teredo (embeds an IPv4 address)
  ["2001:db8::", 32, "ipv6"], // documentation
  ["2002::", 16, "ipv6"], // 6to4 (embeds an IPv4 address)
  ["fc00::", 7, "ipv6"], // unique local
  ["fe80::", 10, "ipv6"], // link-local
  ["fec0::", 10, "ipv6"], // site-local (deprecated)
  ["ff00::", 8, "ipv6"], // multicast
];

// One list per family: node's BlockList matches IPv4 addresses against IPv6 rules for ::/96 and
// ::ffff:0:0/96, which would make every IPv4 address look blocked.
const blocked = { ipv4: new BlockList(), ipv6: new BlockList() };
for (const [network, prefix, type] of NON_PUBLIC) blocked[type].addSubnet(network, prefix, type);

/** True for an IP address literal (v4 or v6, brackets allowed) that is not public unicast. */
export function isNonPublicAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, "");
  const family = isIP(ip);
  if (family === 0) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  return blocked[type].check(ip, type);
}

/** Host names that always mean this machine or a private zone, whatever DNS says. */
function isInternalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".internal") || h.endsWith(".local");
}

/**
 * Check what can be checked without DNS: https (unless private callbacks are allowed), and no
 * internal name or non-public address literal. Returns a reason to refuse, or undefined.
 */
export function callbackUrlProblem(url: string, options: { allowPrivate: boolean }): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "callbackUrl is not a URL";
  }
  if (options.allowPrivate)
    return /^https?:$/.test(parsed.protocol) ? undefined : "callbackUrl must be http(s)";
  if (parsed.protocol !== "https:") return "callbackUrl must be an https:// URL";
  if (parsed.username || parsed.password) return "callbackUrl must not carry credentials";
  const host = parsed.hostname;
  if (isInternalName(host) || isNonPublicAddress(host)) {
    return "callbackUrl must not point at a loopback, private, link-local or otherwise non-public host";
  }
  return undefined;
}

/** A resolver shaped like `dns.lookup(host, {all: true})`, injectable for tests. */
export type ResolveAll = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const resolveAll: ResolveAll = (host) =>
  new Promise((ok, fail) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? fail(err) : ok(addresses))),
  );

/**
 * Resolve the callback's host and refuse (CALLBACK_FORBIDDEN) when it is not allowed or any address
 * it resolves to is non-public. A host that does not resolve within `timeoutMs` is let through: the
 * worker resolves and checks again on connecting, and a DNS hiccup must not refuse a job.
 */
export async function assertCallbackAllowed(
  url: string,
  options: { allowPrivate: boolean; resolve?: ResolveAll; timeoutMs?: number },
): Promise<void> {
  const problem = callbackUrlProblem(url, options);
  if (problem) throw new AlignSamError("CALLBACK_FORBIDDEN", problem, { field: "callbackUrl" });
  if (options.allowPrivate) return;
  const host = new URL(url).hostname;
  if (isIP(host.replace(/^\[|\]$/g, ""))) return; // a literal, checked above
  let timer: NodeJS.Timeout | undefined;
  const addresses = await Promise.race([
    (options.resolve ?? resolveAll)(host).catch(() => undefined),
    new Promise<undefined>((ok) => {
      timer = setTimeout(() => ok(undefined), options.timeoutMs ?? 2000);
    }),
  ]).finally(() => clearTimeout(timer));
  const bad = addresses?.find((a) => isNonPublicAddress(a.address));
  if (bad) {
    throw new AlignSamError(
      "CALLBACK_FORBIDDEN",
      `callbackUrl host "${host}" resolves to ${bad.address}, which is not a public address`,
      { field: "callbackUrl" },
    );
  }
}
