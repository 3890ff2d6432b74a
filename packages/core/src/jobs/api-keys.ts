/**
 * API keys: a random secret shown once, stored only as its SHA-256 (the record's S3 key is the hash,
 * so a bearer token is looked up with one GET and a leaked bucket listing reveals no secret).
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { KeySegmentSchema } from "./keys.ts";

/** Secrets start with this, so leaked ones are easy to recognise and scan for. */
export const API_KEY_SECRET_PREFIX = "asam_";

export const ApiKeyRecordSchema = z.object({
  v: z.literal(1),
  /** Public id (`k` + 16 hex digits of the hash): safe to log, used to revoke. */
  id: z.string().regex(/^k[0-9a-f]{16}$/),
  name: z.string().min(1).max(128),
  /** Every S3 key the key's requests write is under tenants/<tenant>/. */
  tenant: KeySegmentSchema,
  /** Images the tenant may process (segment + evaluation); null: unlimited. */
  quota: z.int().min(0).nullable(),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

/** SHA-256 of a secret as 64 lower-case hex digits: the record's name. */
export function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The public id of the key whose secret hashes to `hash`. */
export function apiKeyIdFromHash(hash: string): string {
  return `k${hash.slice(0, 16)}`;
}

/** The hash prefix a key id names (list `_system/keys/<prefix>` to find its record). */
export function apiKeyHashPrefix(id: string): string {
  if (!/^k[0-9a-f]{16}$/.test(id)) {
    throw new RangeError(`"${id}" is not an API key id (k followed by 16 hex digits)`);
  }
  return id.slice(1);
}

/** A fresh secret (256 random bits), its hash and id. */
export function mintApiKey(): { secret: string; hash: string; id: string } {
  const secret = `${API_KEY_SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
  const hash = hashApiKeySecret(secret);
  return { secret, hash, id: apiKeyIdFromHash(hash) };
}
