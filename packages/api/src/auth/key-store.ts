/**
 * The API's key store for its operators: create, list and revoke the key records that
 * ./key-lookup.ts reads, in the service's bucket as `_system/keys/<sha256 of the secret>.json` (the
 * secret itself is returned once and never stored). Reads the bucket and endpoint from the same
 * variables as the API and the worker. The command line over it is ./keys-command.ts.
 */
import {
  AlignSamError,
  API_KEYS_PREFIX,
  type ApiKeyRecord,
  ApiKeyRecordSchema,
  apiKeyHashPrefix,
  apiKeyRecordKey,
  isAlignSamError,
  mintApiKey,
  readEnvConfig,
  SHARED_SERVICE_ENV,
} from "@alignsam/core/light";
import { createS3Client } from "@alignsam/core/storage";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { z } from "zod";

const KeyStoreConfigSchema = z.object({
  bucket: z.string().min(3).max(63),
  s3Endpoint: z.url().optional(),
  s3ForcePathStyle: z.boolean().optional(),
  region: z.string().min(1).default("us-east-1"),
});
export type KeyStoreConfig = z.infer<typeof KeyStoreConfigSchema>;

const KEY_STORE_ENV = {
  bucket: SHARED_SERVICE_ENV.bucket,
  s3Endpoint: SHARED_SERVICE_ENV.s3Endpoint,
  s3ForcePathStyle: SHARED_SERVICE_ENV.s3ForcePathStyle,
  region: SHARED_SERVICE_ENV.region,
} as const;

/**
 * The bucket and endpoint from ALIGNSAM_BUCKET, ALIGNSAM_S3_ENDPOINT, ... (as the services read them).
 * A missing or bad variable is a CONFIG_INVALID error naming it, on one line.
 */
export function loadKeyStoreConfig(env: Record<string, string | undefined>): KeyStoreConfig {
  if (!env[KEY_STORE_ENV.bucket]?.trim()) {
    throw new AlignSamError(
      "CONFIG_INVALID",
      `${KEY_STORE_ENV.bucket} is not set: the keys commands need the service's bucket (and ${KEY_STORE_ENV.s3Endpoint} for an S3 emulator, e.g. http://127.0.0.1:4566 under \`npm start\`)`,
      { variable: KEY_STORE_ENV.bucket },
    );
  }
  try {
    return readEnvConfig(KeyStoreConfigSchema, KEY_STORE_ENV, env, "keys", (raw) => {
      if (typeof raw.s3ForcePathStyle === "string") {
        raw.s3ForcePathStyle = /^(1|true|yes)$/i.test(raw.s3ForcePathStyle);
      }
    });
  } catch (e) {
    // readEnvConfig lists one bad variable per line; a CLI error is one line.
    const problems = (e as Error).message
      .split("\n")
      .slice(1)
      .map((l) => l.trim());
    throw new AlignSamError("CONFIG_INVALID", `invalid keys configuration: ${problems.join("; ")}`, {
      problems,
    });
  }
}

/**
 * Storage failures (no credentials, endpoint unreachable, no such bucket) as one CONFIG_INVALID line
 * that names where the command looked, instead of the SDK's stack trace.
 */
export function keyStoreError(e: unknown, config: KeyStoreConfig): unknown {
  if (isAlignSamError(e) || !(e instanceof Error)) return e;
  const where = config.s3Endpoint ? `at ${config.s3Endpoint}` : `on AWS (${config.region})`;
  return new AlignSamError(
    "CONFIG_INVALID",
    `cannot use the key store s3://${config.bucket} ${where}: ${e.name}: ${e.message.split("\n")[0]}; check ${KEY_STORE_ENV.bucket}, ${KEY_STORE_ENV.s3Endpoint} and the AWS credentials`,
    { bucket: config.bucket, ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}), cause: e.name },
  );
}

/** Key records in one bucket: create, list, revoke. */
export interface KeyStore {
  create(args: { name: string; quota: number | null; tenant?: string; now?: Date }): Promise<{
    record: ApiKeyRecord;
    secret: string;
  }>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(id: string, now?: Date): Promise<ApiKeyRecord>;
  close(): void;
}

export function createKeyStore(config: KeyStoreConfig): KeyStore {
  const s3 = createS3Client({
    region: config.region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    // Emulators accept any credentials; the SDK still needs some to sign with.
    ...(config.s3Endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
    // An operator waits at the terminal: a wrong endpoint is reported in seconds.
    retry: "interactive",
  });
  const Bucket = config.bucket;
  const put = (key: string, record: ApiKeyRecord, create: boolean) =>
    s3.send(
      new PutObjectCommand({
        Bucket,
        Key: key,
        Body: JSON.stringify(ApiKeyRecordSchema.parse(record)),
        ContentType: "application/json",
        ...(create ? { IfNoneMatch: "*" } : {}),
      }),
    );
  const read = async (key: string): Promise<ApiKeyRecord> => {
    const res = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    return ApiKeyRecordSchema.parse(JSON.parse(await res.Body!.transformToString("utf8")));
  };
  const keysUnder = async (prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key?.endsWith(".json")) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  };
  return {
    async create({ name, quota, tenant, now = new Date() }) {
      const { secret, hash, id } = mintApiKey();
      const record: ApiKeyRecord = {
        v: 1,
        id,
        name,
        tenant: tenant ?? id,
        quota,
        createdAt: now.toISOString(),
        revokedAt: null,
      };
      await put(apiKeyRecordKey(hash), record, true);
      return { record, secret };
    },
    async list() {
      const records = await Promise.all((await keysUnder(API_KEYS_PREFIX)).map(read));
      return records.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    },
    async revoke(id, now = new Date()) {
      let prefix: string;
      try {
        prefix = apiKeyHashPrefix(id);
      } catch (e) {
        throw new AlignSamError("INVALID_ARGUMENT", (e as Error).message, { field: "id" });
      }
      const [key] = await keysUnder(`${API_KEYS_PREFIX}${prefix}`);
      if (!key) {
        throw new AlignSamError("INVALID_ARGUMENT", `no API key "${id}"; see \`npm run keys -- list\``, {
          field: "id",
        });
      }
      const record = await read(key);
      if (record.revokedAt) return record;
      const revoked = { ...record, revokedAt: now.toISOString() };
      await put(key, revoked, false);
      return revoked;
    },
    close: () => s3.destroy(),
  };
}
