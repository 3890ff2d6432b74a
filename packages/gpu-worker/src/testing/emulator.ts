/**
 * For tests: the fauxqs S3 + SQS emulator in this process, on a free loopback port, with a bucket,
 * and a storage module pointed at it. Real S3 semantics (404s, listings), no network beyond loopback.
 */
import { createS3Client } from "@alignsam/core/storage";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { buildApp } from "fauxqs";
import { createS3Storage, type Storage } from "../storage.ts";

export interface TestEmulator {
  readonly endpoint: string;
  readonly bucket: string;
  readonly storage: Storage & { client: S3Client };
  close(): Promise<void>;
}

export async function startTestEmulator(bucket = "alignsam-test"): Promise<TestEmulator> {
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const admin = createS3Client({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  const storage = createS3Storage({
    bucket,
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    writeBackoffMs: 10,
  });
  return {
    endpoint,
    bucket,
    storage,
    async close() {
      storage.client.destroy();
      await app.close();
    },
  };
}
