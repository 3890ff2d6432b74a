/**
 * Test support: a real S3 + SQS emulator (fauxqs) on a free loopback port, a bucket and a queue with
 * its dead-letter queue, clients pointed at it, and a matching API configuration. Tests call the app
 * with these real clients; nothing is mocked.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { createClients } from "../clients.ts";
import { type ApiConfig, ApiConfigSchema } from "../config.ts";

export interface TestStack {
  readonly server: FauxqsServer;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly config: ApiConfig;
  /** Write an object as a worker or an earlier request would (a non-string, non-byte body as JSON). */
  put(key: string, body: string | Uint8Array | object, contentType?: string): Promise<void>;
  /** Read an object back and parse it as JSON. */
  getJson(key: string): Promise<unknown>;
  /** Every key in the bucket (to prove a refused request wrote nothing). */
  allKeys(): Promise<string[]>;
  /** Receive and parse every message waiting in the jobs queue (they stay in flight). */
  drainMessages(): Promise<unknown[]>;
  stop(): Promise<void>;
}

export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789";

export async function startTestStack(
  overrides: Partial<Record<keyof ApiConfig, unknown>> = {},
): Promise<TestStack> {
  const server = await startFauxqs({ port: 0, logger: false });
  const bucket = "alignsam-test";
  server.createBucket(bucket);
  const dlq = server.createQueue("alignsam-jobs-dlq");
  const queue = server.createQueue("alignsam-jobs", {
    attributes: {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: "5" }),
    },
  });
  const config = ApiConfigSchema.parse({
    s3Endpoint: server.address,
    bucket,
    queueUrl: queue.queueUrl,
    publicBaseUrl: "http://api.test",
    webhookSecret: TEST_WEBHOOK_SECRET,
    // Requests without a bearer act as "public", the tenant the route tests read back.
    anonymousTenant: "public",
    ...overrides,
  });
  const { s3, sqs } = createClients(config);
  return {
    server,
    s3,
    sqs,
    config,
    async put(key, body, contentType) {
      const Body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body, ContentType: contentType }));
    },
    async getJson(key) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse(await res.Body!.transformToString());
    },
    async allKeys() {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async drainMessages() {
      const out: unknown[] = [];
      for (;;) {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: config.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        if (!res.Messages?.length) return out;
        for (const m of res.Messages) out.push(JSON.parse(m.Body ?? "null"));
      }
    },
    async stop() {
      s3.destroy();
      sqs.destroy();
      await server.stop();
    },
  };
}
