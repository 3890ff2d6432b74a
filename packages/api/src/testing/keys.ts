/**
 * Test support: API key records written straight to the emulator's bucket, as `npm run keys --
 * create` (../auth/key-store.ts) writes them (hashed; the secret is returned to the test only).
 */
import { type ApiKeyRecord, ApiKeyRecordSchema, apiKeyRecordKey, mintApiKey } from "@alignsam/core/light";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { TestStack } from "./emulator.ts";

export interface TestKey {
  readonly record: ApiKeyRecord;
  /** `Authorization` header value. */
  readonly bearer: string;
}

export async function putTestKey(
  stack: TestStack,
  options: { tenant: string; quota?: number | null; revokedAt?: string | null; name?: string },
): Promise<TestKey> {
  const { secret, hash, id } = mintApiKey();
  const record = ApiKeyRecordSchema.parse({
    v: 1,
    id,
    name: options.name ?? `test key of ${options.tenant}`,
    tenant: options.tenant,
    quota: options.quota ?? null,
    createdAt: new Date().toISOString(),
    revokedAt: options.revokedAt ?? null,
  });
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.config.bucket,
      Key: apiKeyRecordKey(hash),
      Body: JSON.stringify(record),
    }),
  );
  return { record, bearer: `Bearer ${secret}` };
}
