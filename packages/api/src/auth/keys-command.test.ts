import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ApiKeyRecordSchema, apiKeyRecordKey, hashApiKeySecret } from "@alignsam/core/light";
import { createS3Client } from "@alignsam/core/storage";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../entry/keys.ts", import.meta.url));
const BUCKET = "alignsam-keys-test";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("npm run keys (against the S3 emulator)", () => {
  let server: FauxqsServer;
  let s3: S3Client;
  let env: Record<string, string | undefined>;

  /** The command as an operator runs it, with the service's environment variables. */
  const cli = (...args: string[]) =>
    new Promise<Run>((done) => {
      execFile(process.execPath, [MAIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      });
    });

  const listAll = async () =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!);
  const read = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString("utf8");

  beforeAll(async () => {
    server = await startFauxqs({ port: 0, logger: false });
    server.createBucket(BUCKET);
    env = {
      ...process.env,
      ALIGNSAM_BUCKET: BUCKET,
      ALIGNSAM_S3_ENDPOINT: server.address,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    s3 = createS3Client({
      region: "us-east-1",
      endpoint: server.address,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it("creates, lists and revokes a key, storing only the secret's hash", async () => {
    const created = await cli("--json", "create", "--name", "acme ci", "--quota", "25");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout) as { id: string; secret: string; tenant: string; quota: number };
    expect(out.secret).toMatch(/^asam_[A-Za-z0-9_-]{43}$/);
    expect(out).toMatchObject({ quota: 25, tenant: out.id });

    // One object, named by the hash, holding no trace of the secret.
    const keys = await listAll();
    expect(keys).toEqual([apiKeyRecordKey(hashApiKeySecret(out.secret))]);
    const stored = await read(keys[0]);
    expect(stored).not.toContain(out.secret);
    expect(stored).not.toContain(out.secret.slice(5));
    expect(ApiKeyRecordSchema.parse(JSON.parse(stored))).toMatchObject({ id: out.id, revokedAt: null });

    const listed = JSON.parse((await cli("--json", "list")).stdout) as {
      keys: Array<{ id: string; revokedAt: string | null }>;
    };
    expect(listed.keys.map((k) => k.id)).toEqual([out.id]);
    expect(JSON.stringify(listed)).not.toContain(out.secret);

    const revoked = await cli("revoke", out.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${out.id}`);
    const after = ApiKeyRecordSchema.parse(JSON.parse(await read(keys[0])));
    expect(after.revokedAt).not.toBeNull();
  });

  it("refuses a bad quota and an unknown id with a clear message and exit code 1", async () => {
    const badQuota = await cli("create", "--name", "x", "--quota", "lots");
    expect(badQuota.code).toBe(1);
    expect(badQuota.stderr).toContain("INVALID_ARGUMENT: --quota must be a whole number");
    const unknown = await cli("revoke", "k0123456789abcdef");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key "k0123456789abcdef"');
  });

  it("says which setting is missing or wrong, on one line and without a stack trace", async () => {
    const saved = env;
    const unset = Object.fromEntries(Object.entries(saved).filter(([k]) => !k.startsWith("ALIGNSAM_")));
    try {
      for (const [vars, args, expected] of [
        [{}, ["list"], /^CONFIG_INVALID: ALIGNSAM_BUCKET is not set/],
        [{}, ["create", "--name", "x"], /^CONFIG_INVALID: ALIGNSAM_BUCKET is not set/],
        [
          { ALIGNSAM_BUCKET: BUCKET, ALIGNSAM_S3_ENDPOINT: "not a url" },
          ["revoke", "k0123456789abcdef"],
          /^CONFIG_INVALID: invalid keys configuration: ALIGNSAM_S3_ENDPOINT: /,
        ],
        [
          { ALIGNSAM_BUCKET: "no-such-bucket", ALIGNSAM_S3_ENDPOINT: server.address },
          ["list"],
          /^CONFIG_INVALID: cannot use the key store s3:\/\/no-such-bucket at http:\/\/.*ALIGNSAM_BUCKET/,
        ],
      ] as const) {
        env = { ...unset, ...vars };
        const run = await cli(...args);
        expect(run.code, args.join(" ")).toBe(1);
        expect(run.stderr).toMatch(expected);
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).not.toMatch(/^\s+at /m);
      }
      env = { ...unset };
      const json = await cli("--json", "list");
      expect(JSON.parse(json.stderr).error).toMatchObject({
        code: "CONFIG_INVALID",
        details: { variable: "ALIGNSAM_BUCKET" },
      });
    } finally {
      env = saved;
    }
  });
});
