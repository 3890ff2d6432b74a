/**
 * Bearer token -> key record, by one S3 GET of `_system/keys/<sha256(secret)>.json`, cached per
 * API instance for a few seconds so a busy client does not cost a GET per request. The cache is why
 * a revocation takes up to `keyCacheSeconds` to reach every instance.
 */
import {
  type ApiKeyRecord,
  ApiKeyRecordSchema,
  apiKeyRecordKey,
  hashApiKeySecret,
} from "@alignsam/core/light";
import type { Store } from "../storage/store.ts";

/** Entries kept before the cache is emptied (bounds memory under a flood of distinct bad tokens). */
const MAX_CACHED = 10_000;

export type KeyLookup = (secret: string) => Promise<ApiKeyRecord | undefined>;

export function createKeyLookup(store: Store, cacheSeconds: number, clock: () => Date): KeyLookup {
  const cache = new Map<string, { record: ApiKeyRecord | undefined; expires: number }>();
  return async (secret) => {
    const hash = hashApiKeySecret(secret);
    const now = clock().getTime();
    const hit = cache.get(hash);
    if (hit && hit.expires > now) return hit.record;
    const record = await store.getJson(apiKeyRecordKey(hash), ApiKeyRecordSchema);
    if (cacheSeconds > 0) {
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(hash, { record, expires: now + cacheSeconds * 1000 });
    }
    return record;
  };
}
