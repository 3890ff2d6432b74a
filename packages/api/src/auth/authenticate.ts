/**
 * `Authorization: Bearer <secret>` -> the caller's Principal. A request with a bearer is always
 * checked (unknown or revoked key: 401); a request without one acts as the anonymous tenant when
 * ALIGNSAM_ANONYMOUS_TENANT is set (local/dev), and is refused with 401 otherwise.
 */
import { createMiddleware } from "hono/factory";
import type { ApiConfig } from "../config.ts";
import { HttpError } from "../http/errors.ts";
import type { KeyLookup } from "./key-lookup.ts";
import type { Principal } from "./principal.ts";

const HOW = "send `Authorization: Bearer <secret>` with a key from `npm run keys -- create`";

function unauthorized(message: string): HttpError {
  return new HttpError(401, "UNAUTHORIZED", message);
}

/** The bearer token of a request; undefined without an Authorization header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i.exec(header);
  if (!match) throw unauthorized(`the Authorization header is not a bearer token; ${HOW}`);
  return match[1];
}

/** Resolve the caller, or throw UNAUTHORIZED (401). */
export async function resolvePrincipal(
  header: string | undefined,
  config: Pick<ApiConfig, "anonymousTenant">,
  lookup: KeyLookup,
): Promise<Principal> {
  const token = bearerToken(header);
  if (token === undefined) {
    if (config.anonymousTenant) return { tenant: config.anonymousTenant, quota: null };
    throw unauthorized(`this API needs an API key; ${HOW}`);
  }
  const record = await lookup(token);
  if (!record)
    throw unauthorized("unknown API key; check the secret, or create a key with `npm run keys -- create`");
  if (record.revokedAt) throw unauthorized(`API key ${record.id} was revoked at ${record.revokedAt}`);
  return { tenant: record.tenant, keyId: record.id, quota: record.quota };
}

/** Middleware: set `principal` on the context, or answer 401 with the error envelope. */
export function authenticate(config: Pick<ApiConfig, "anonymousTenant">, lookup: KeyLookup) {
  return createMiddleware(async (c, next) => {
    c.set("principal", await resolvePrincipal(c.req.header("authorization"), config, lookup));
    await next();
  });
}
