/**
 * Test support: a DNS table standing in for `dns.lookup(host, {all: true})`. Real DNS cannot be made
 * to answer a chosen name with a private address (and this machine may have none at all); a name
 * missing from the table fails with ENOTFOUND, as `dns.lookup` does.
 */
import type { ResolveAll } from "@alignsam/core/light";

export function fakeDns(table: Record<string, string[]>): ResolveAll {
  return async (host) => {
    const addresses = table[host];
    if (!addresses) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host });
    }
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

/** Public names the route tests use for callbacks. */
export const PUBLIC_DNS = fakeDns({ "hooks.example": ["93.184.216.34"] });
