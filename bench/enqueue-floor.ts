/**
 * POST /v1/segment against its floor, on one local stack (no workers: only enqueueing is measured).
 * The floor is the raw SDK work one anonymous segment request needs, done directly with clients
 * built like the API's (packages/api/src/clients.ts): PUT the input image, PUT the queued status
 * document, SendMessageBatch of the job message, in that order, as the route does. It runs at the
 * same concurrency autocannon then drives the API with, for the same time, against the same
 * emulator; the floor runs again after the API so drift in the machine's load shows.
 */
import { randomUUID } from "node:crypto";
import { inputKey, jobStatusKey, queuedStatus } from "@alignsam/core/light";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import autocannon from "autocannon";
import { type LocalStack, startLocalStack } from "../infra/local/stack.ts";
import { createClients } from "../packages/api/src/clients.ts";
import { loadConfig } from "../packages/api/src/config.ts";
import { makePng, multipartBody } from "./load-probe.ts";

const TENANT = "floorbench";

export interface RateAndLatency {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface EnqueueFloorResult {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly floorBefore: RateAndLatency;
  readonly api: RateAndLatency & { readonly non2xx: number };
  readonly floorAfter: RateAndLatency;
  /** API requests/s over the mean of the two floor runs. */
  readonly ratio: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** `op` from `connections` loops for `seconds`; rate and latency of the completed calls. */
async function drive(connections: number, seconds: number, op: () => Promise<void>): Promise<RateAndLatency> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    requestsPerSecond: round1(latencies.length / elapsed),
    p50Ms: round1(percentile(latencies, 50)),
    p99Ms: round1(percentile(latencies, 99)),
  };
}

export async function runEnqueueFloor(options: {
  connections: number;
  durationSeconds: number;
  progress: (line: string) => void;
  /** Extra environment of the API process (e.g. NODE_OPTIONS=--cpu-prof). */
  apiEnv?: Record<string, string>;
}): Promise<EnqueueFloorResult> {
  const { connections, durationSeconds, progress } = options;
  progress(`enqueue floor: starting the local stack (no workers)`);
  const stack: LocalStack = await startLocalStack({
    emulatorPort: 0,
    apiPort: 0,
    workers: 0,
    bucket: "alignsam-floor",
    log: () => undefined,
    apiEnv: {
      ALIGNSAM_ANONYMOUS_TENANT: TENANT,
      ALIGNSAM_RATE_LIMIT_PER_MINUTE: "1000000000",
      ALIGNSAM_LOG_LEVEL: "warn",
      ...options.apiEnv,
    },
  });
  const config = loadConfig({ ...stack.env, ALIGNSAM_ANONYMOUS_TENANT: TENANT });
  const { s3, sqs } = createClients(config);
  try {
    const png = await makePng(64);
    const { body, contentType } = await multipartBody(png);
    const floorOp = async () => {
      const jobId = randomUUID();
      const uploadId = randomUUID();
      const now = new Date();
      await s3.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: inputKey(TENANT, uploadId),
          Body: png,
          ContentType: "image/png",
        }),
      );
      const status = queuedStatus({ jobId, tenant: TENANT, kind: "segment", now });
      await s3.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: jobStatusKey(TENANT, jobId),
          Body: JSON.stringify(status),
          ContentType: "application/json",
        }),
      );
      const message = {
        v: 1,
        type: "segment",
        jobId,
        tenant: TENANT,
        submittedAt: now.toISOString(),
        task: "saliency",
        uploadId,
        options: { greedy: true, seed: 0 },
        outputs: ["mask", "rle", "metrics"],
      };
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: config.queueUrl,
          Entries: [
            {
              Id: "0",
              MessageBody: JSON.stringify(message),
              MessageAttributes: { type: { DataType: "String", StringValue: "segment" } },
            },
          ],
        }),
      );
    };
    // Warm-up of both paths (connections, JIT), not counted.
    await drive(connections, 1, floorOp);
    await autocannon({
      url: `${stack.apiUrl}/v1/segment`,
      method: "POST",
      headers: { "content-type": contentType },
      body,
      connections,
      duration: 1,
    });
    progress(`enqueue floor: raw SDK work, ${connections} concurrent, ${durationSeconds} s`);
    const floorBefore = await drive(connections, durationSeconds, floorOp);
    progress(`enqueue floor: POST /v1/segment through autocannon, ${connections} connections`);
    const result = await autocannon({
      url: `${stack.apiUrl}/v1/segment`,
      method: "POST",
      headers: { "content-type": contentType },
      body,
      connections,
      duration: durationSeconds,
    });
    const api = {
      requests: result.requests.total,
      requestsPerSecond: round1(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
    };
    progress("enqueue floor: raw SDK work again");
    const floorAfter = await drive(connections, durationSeconds, floorOp);
    const floorRate = (floorBefore.requestsPerSecond + floorAfter.requestsPerSecond) / 2;
    return {
      connections,
      durationSeconds,
      floorBefore,
      api,
      floorAfter,
      ratio: Math.round((api.requestsPerSecond / floorRate) * 100) / 100,
    };
  } finally {
    s3.destroy();
    sqs.destroy();
    await stack.stop();
  }
}
