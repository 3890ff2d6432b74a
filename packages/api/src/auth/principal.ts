/**
 * Who a request acts for. The authentication middleware sets it on the context; every route that
 * reads or writes tenant data takes its tenant from here, never from DEFAULT_TENANT.
 */
import type { Context } from "hono";

export interface Principal {
  /** Every S3 key the request reads or writes is under tenants/<tenant>/. */
  readonly tenant: string;
  /** The API key's public id; absent for the anonymous (local/dev) tenant. */
  readonly keyId?: string;
  /** Images the tenant may process (segment + evaluation); null: unlimited. */
  readonly quota: number | null;
}

declare module "hono" {
  interface ContextVariableMap {
    principal: Principal;
  }
}

/** The caller of an authenticated route (the middleware guarantees one on every /v1 route). */
export function principalOf(c: Context): Principal {
  const principal = c.get("principal");
  if (!principal) throw new Error("no principal on the context: is the route outside /v1?");
  return principal;
}

/** The caller's tenant: the prefix of everything the request may read or write. */
export function tenantOf(c: Context): string {
  return principalOf(c).tenant;
}
