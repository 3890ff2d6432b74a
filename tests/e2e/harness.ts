/**
 * End-to-end test harness: a local stack on free ports with its SDK clients, dataset and training
 * set-up, polling helpers, and a callback receiver that checks signatures.
 */
import { createServer, type Server } from "node:http";
import {
  datasetPrefix,
  type EvaluationManifest,
  evaluationManifestKey,
  type JobStatus,
  JobStatusSchema,
  jobStatusKey,
  planShards,
  queuedStatus,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from "@alignsam/core/light";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll } from "vitest";
import {
  emulatorClients,
  LOCAL_ANONYMOUS_TENANT,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
} from "../../infra/local/stack.ts";
import { type SceneOptions, sceneFixture } from "./fixtures.ts";

export function clientsFor(stack: LocalStack) {
  const { s3, sqs } = emulatorClients(stack);
  const getText = async (key: string): Promise<string> => {
    const r = await s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return await r.Body!.transformToString("utf8");
  };
  return {
    s3,
    sqs,
    async put(key: string, body: Uint8Array | string) {
      await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
    },
    async get(key: string): Promise<Uint8Array | undefined> {
      try {
        const r = await s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
        return await r.Body!.transformToByteArray();
      } catch (e) {
        if ((e as { name?: string }).name === "NoSuchKey") return undefined;
        throw e;
      }
    },
    /** An object that must exist, as UTF-8 text. */
    getText,
    /** An object that must exist, parsed as JSON. */
    async getJson(key: string): Promise<unknown> {
      return JSON.parse(await getText(key));
    },
    async list(prefix: string): Promise<string[]> {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
      return (r.Contents ?? []).map((o) => o.Key!).sort();
    },
    async send(body: unknown) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: stack.queueUrl,
          MessageBody: typeof body === "string" ? body : JSON.stringify(body),
        }),
      );
    },
    /** Receive (and leave) up to 10 messages from the DLQ. */
    async dlqBodies(): Promise<string[]> {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 0,
        }),
      );
      return (r.Messages ?? []).map((m) => m.Body ?? "");
    },
    close() {
      s3.destroy();
      sqs.destroy();
    },
  };
}
export type Clients = ReturnType<typeof clientsFor>;

/** A running local stack, its clients, and every log line its processes printed. */
export interface E2eStack {
  readonly stack: LocalStack;
  readonly c: Clients;
  readonly logs: string[];
  /** Close the clients and the stack; print the logs when ALIGNSAM_E2E_LOGS is set. */
  stop(): Promise<void>;
}

/**
 * Start the local stack on free ports with its log captured, so suites can assert on log lines and
 * only print them when asked (ALIGNSAM_E2E_LOGS).
 */
export async function startE2eStack(
  options: Omit<LocalStackOptions, "emulatorPort" | "apiPort" | "log">,
): Promise<E2eStack> {
  const logs: string[] = [];
  const stack = await startLocalStack({
    emulatorPort: 0,
    apiPort: 0,
    log: (line) => logs.push(line),
    ...options,
  });
  const c = clientsFor(stack);
  return {
    stack,
    c,
    logs,
    async stop() {
      c.close();
      await stack.stop();
      if (process.env.ALIGNSAM_E2E_LOGS) console.log(logs.join("\n"));
    },
  };
}

/**
 * Register the hooks that start the local stack for the enclosing `describe` (before its own
 * `beforeAll`s, so call it first) and stop it after; the returned stack reads the running one.
 *
 * @example
 * describe("batches", () => {
 *   const e2e = useE2eStack({ api: true, workers: 1 });
 *   it("...", async () => expect((await fetch(`${e2e.stack.apiUrl}/healthz`)).ok).toBe(true));
 * });
 */
export function useE2eStack(options: Parameters<typeof startE2eStack>[0]): E2eStack {
  let running: E2eStack | undefined;
  const started = () => {
    if (!running)
      throw new Error("useE2eStack: the stack starts in beforeAll; read it inside a test or hook");
    return running;
  };
  beforeAll(async () => {
    running = await startE2eStack(options);
  });
  afterAll(() => running?.stop());
  return {
    get stack() {
      return started().stack;
    },
    get c() {
      return started().c;
    },
    get logs() {
      return started().logs;
    },
    stop: () => started().stop(),
  };
}

/**
 * Upload `count` generated scenes as a labelled dataset (`images/<stem><i>.png`, `masks/...`) under
 * a tenant (default: public, the tenant of queue messages that name none), the layout training and
 * evaluation jobs read.
 */
export async function putSceneDataset(
  c: Clients,
  datasetId: string,
  stem: string,
  count: number,
  sceneFor: (i: number) => SceneOptions,
  tenant = "public",
): Promise<void> {
  const prefix = datasetPrefix(tenant, datasetId);
  for (let i = 0; i < count; i++) {
    const f = await sceneFixture(sceneFor(i));
    await c.put(`${prefix}images/${stem}${i}.png`, f.image);
    await c.put(`${prefix}masks/${stem}${i}.png`, f.mask);
  }
}

/**
 * The labelled set docs/service.md has the reader upload before retraining (`datasets/discs/`, in
 * the tenant of the page's key-less requests: the local stack's anonymous tenant).
 */
export function putDocsDiscs(
  c: Clients,
  count: number,
  sceneFor: (i: number) => SceneOptions,
): Promise<void> {
  return putSceneDataset(c, "discs", "d", count, sceneFor, LOCAL_ANONYMOUS_TENANT);
}

export interface TrainJob {
  jobId: string;
  datasetId: string;
  heldOutFraction: number;
  options: Record<string, unknown>;
  /** @default "saliency" */
  task?: string;
}

/** Queue a public train job directly (no API) and wait for it to finish either way. */
export async function trainThroughQueue(c: Clients, job: TrainJob, timeoutMs = 90_000): Promise<JobStatus> {
  await c.send({ v: 1, type: "train", task: "saliency", ...job });
  return waitForState(c, jobStatusKey("public", job.jobId), ["succeeded", "failed"], timeoutMs);
}

export interface EvalJob {
  evalId: string;
  jobId: string;
  datasetId: string;
  /** Pairs `d0.png` .. `d<images-1>.png` (as putSceneDataset uploads them with stem "d"). */
  images: number;
  shardSize: number;
  policyVersion?: string;
  callbackUrl?: string;
}

/**
 * Queue a public saliency evaluation directly (no API), as the API would: its manifest, a queued
 * status, then one eval-shard message per shard. Returns the manifest and the status key to poll.
 */
export async function evaluateThroughQueue(
  c: Clients,
  job: EvalJob,
): Promise<{ manifest: EvaluationManifest; statusKey: string }> {
  const items = Array.from({ length: job.images }, (_, i) => ({
    id: `d${i}`,
    image: `d${i}.png`,
    mask: `d${i}.png`,
  }));
  const manifest: EvaluationManifest = {
    v: 1,
    evalId: job.evalId,
    jobId: job.jobId,
    tenant: "public",
    task: "saliency",
    datasetId: job.datasetId,
    policyVersion: job.policyVersion,
    shards: planShards(items, job.shardSize),
    createdAt: new Date().toISOString(),
    callbackUrl: job.callbackUrl,
  };
  await c.put(evaluationManifestKey("public", job.evalId), JSON.stringify(manifest));
  const statusKey = jobStatusKey("public", job.jobId);
  await c.put(
    statusKey,
    JSON.stringify(queuedStatus({ jobId: job.jobId, kind: "evaluation", total: job.images })),
  );
  for (const shard of manifest.shards) {
    await c.send({ v: 1, type: "eval-shard", jobId: job.jobId, evalId: job.evalId, shard: shard.index });
  }
  return { manifest, statusKey };
}

/** POST an image (PNG) and form fields to /v1/segment, as a browser form upload would. */
export function postSegmentForm(
  apiUrl: string,
  image: Uint8Array,
  fields: Record<string, string>,
): Promise<Response> {
  const form = new FormData();
  form.set("image", new File([Buffer.from(image)], "scene.png", { type: "image/png" }));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return fetch(`${apiUrl}/v1/segment`, { method: "POST", body: form });
}

/** Poll until `probe` returns a value, or fail after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function readStatus(c: Clients, key: string): Promise<JobStatus | undefined> {
  const bytes = await c.get(key);
  return bytes ? JobStatusSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8"))) : undefined;
}

export async function waitForState(c: Clients, key: string, states: readonly string[], timeoutMs?: number) {
  return waitFor(
    `${key} in ${states.join("|")}`,
    async () => {
      const s = await readStatus(c, key);
      return s && states.includes(s.state) ? s : undefined;
    },
    timeoutMs,
  );
}

export interface CallbackReceiver {
  readonly url: string;
  /** Verified bodies by job id. */
  readonly received: Map<string, JobStatus[]>;
  readonly badSignatures: number;
  close(): Promise<void>;
}

/** An HTTP server on loopback that records completion callbacks whose signature verifies. */
export async function startCallbackReceiver(secret: string): Promise<CallbackReceiver> {
  const received = new Map<string, JobStatus[]>();
  let bad = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const ok = verifySignature(secret, {
        timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        body,
      });
      if (!ok) {
        bad++;
        res.writeHead(401).end();
        return;
      }
      const status = JobStatusSchema.parse(JSON.parse(body));
      received.set(status.jobId, [...(received.get(status.jobId) ?? []), status]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    received,
    get badSignatures() {
      return bad;
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
