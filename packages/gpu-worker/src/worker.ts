/**
 * The queue consumer: sqs-consumer long-polls the jobs queue, runs up to `concurrency` messages at
 * once, and extends their visibility every `heartbeatSeconds` while a job runs. `stop()` (wired to
 * SIGTERM by main.ts) aborts the pending long poll, waits up to the grace period for in-flight jobs,
 * and releases whatever is still running (visibility 0) so another worker takes it at once.
 */

import { defaultTaskRegistry, JobMessageSchema, type TaskRegistry } from "@alignsam/core/light";
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";
import type { WorkerConfig } from "./config.ts";
import type { HandlerContext, Logger } from "./context.ts";
import { dispatch } from "./dispatch.ts";
import type { Engine } from "./engine.ts";
import { createS3Storage, type Storage } from "./storage.ts";

export interface WorkerDeps {
  engine: Engine;
  log: Logger;
  storage?: Storage;
  sqs?: SQSClient;
  tasks?: TaskRegistry;
}

export interface Worker {
  start(): void;
  /** Stop polling, let in-flight jobs finish for up to the grace period, then release the rest. */
  stop(): Promise<{ finished: number; released: number }>;
  readonly inFlight: number;
}

export function createSqsClient(config: WorkerConfig): SQSClient {
  return new SQSClient({
    region: config.region,
    endpoint: config.sqsEndpoint ?? config.s3Endpoint,
    maxAttempts: 4,
    retryMode: "standard",
  });
}

export function createWorker(config: WorkerConfig, deps: WorkerDeps): Worker {
  const sqs = deps.sqs ?? createSqsClient(config);
  const storage =
    deps.storage ??
    createS3Storage({
      bucket: config.bucket,
      region: config.region,
      endpoint: config.s3Endpoint,
      forcePathStyle: config.s3ForcePathStyle,
    });
  const log = deps.log;
  const ctx: HandlerContext = {
    storage,
    engine: deps.engine,
    tasks: deps.tasks ?? defaultTaskRegistry,
    log,
    callbackSecret: config.callbackSecret,
    faultHoldFirstAttemptMs: config.faultHoldFirstAttemptMs,
    maxTrainImages: config.maxTrainImages,
    imageLimits: { maxPixels: config.maxImagePixels, maxLongSide: config.workingImageSide },
    datasetImportLimits: {
      maxEntries: config.maxArchiveEntries,
      maxTotalBytes: config.maxArchiveTotalBytes,
      maxFileBytes: config.maxArchiveFileBytes,
      maxPixels: config.maxImagePixels,
    },
    workerId: config.workerId,
    now: () => new Date(),
    async enqueue(message) {
      const parsed = JobMessageSchema.parse(message);
      await sqs.send(
        new SendMessageCommand({ QueueUrl: config.queueUrl, MessageBody: JSON.stringify(parsed) }),
      );
    },
  };
  const inFlight = new Map<string, Message>();
  const poison = new Set<string>();
  const polls = new AbortController();

  const consumer = Consumer.create({
    queueUrl: config.queueUrl,
    sqs: abortableReceives(sqs, polls.signal),
    useQueueUrlAsEndpoint: false,
    batchSize: config.concurrency,
    visibilityTimeout: config.visibilityTimeoutSeconds,
    heartbeatInterval: config.heartbeatSeconds,
    waitTimeSeconds: config.waitTimeSeconds,
    messageSystemAttributeNames: ["ApproximateReceiveCount"],
    // Poison comes back at once (it will never succeed; the redrive policy counts it out), other
    // failures after a pause.
    terminateVisibilityTimeout: (messages) =>
      messages.some((m) => m.MessageId && poison.has(m.MessageId)) ? 0 : config.retryDelaySeconds,
    handleMessage: async (message) => {
      const id = message.MessageId ?? "";
      inFlight.set(id, message);
      try {
        const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
        const result = await dispatch(ctx, message.Body, {
          receiveCount,
          lastAttempt: receiveCount >= config.maxReceives,
        });
        if (result.ack) return message;
        if (result.poison) poison.add(id);
        throw result.error;
      } finally {
        inFlight.delete(id);
      }
    },
  });
  consumer.on("error", (e) => {
    // The long poll that stop() aborts is expected to fail.
    if (polls.signal.aborted && /abort/i.test(e.message)) return;
    // A heartbeat racing the delete of a finished message is harmless.
    if (/visibility timeout change/.test(e.message)) {
      log.info("heartbeat after completion ignored", { error: e.message });
    } else log.error("queue error", { error: e.message });
  });
  consumer.on("processing_error", (e, m) =>
    log.warn("message left for redelivery", {
      messageId: m.MessageId,
      jobId: jobIdOf(m.Body),
      error: e.message,
    }),
  );

  return {
    get inFlight() {
      return inFlight.size;
    },
    start() {
      consumer.start();
      log.info("consuming", { queueUrl: config.queueUrl, concurrency: config.concurrency });
    },
    async stop() {
      // Stop polling and abort the pending long poll, so shutdown does not wait up to
      // waitTimeSeconds. The price: a message the server hands to the aborted poll at that moment
      // stays invisible until its visibility timeout, then comes back (at-least-once holds; its
      // receive count rises by one). Deletes and heartbeats of in-flight jobs are not aborted.
      consumer.stop();
      polls.abort();
      const before = inFlight.size;
      const deadline = Date.now() + Math.max(config.shutdownGraceSeconds, config.waitTimeSeconds + 2) * 1000;
      while ((consumer.status.isPolling || inFlight.size > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const left = [...inFlight.values()];
      for (const m of left) {
        await sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: config.queueUrl,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch((e) => log.warn("could not release message", { messageId: m.MessageId, error: String(e) }));
      }
      const finished = Math.max(0, before - left.length);
      log.info("stopped", { finished, released: left.length });
      return { finished, released: left.length };
    },
  };
}

/**
 * The client as sqs-consumer sees it: ReceiveMessage calls carry `signal`, every other call (deletes,
 * heartbeats) is the client's own. (sqs-consumer's `stop({ abort: true })` would abort those too,
 * failing the delete of a job that finishes during the grace period.)
 */
function abortableReceives(sqs: SQSClient, signal: AbortSignal): SQSClient {
  const send = sqs.send.bind(sqs) as (command: unknown, options?: object) => Promise<unknown>;
  const wrapped = Object.create(sqs) as SQSClient;
  Object.defineProperty(wrapped, "send", {
    value: (command: unknown, options?: object) =>
      send(command, command instanceof ReceiveMessageCommand ? { ...options, abortSignal: signal } : options),
  });
  return wrapped;
}

/** The job id of a raw message body, for log lines about messages that failed before dispatch. */
function jobIdOf(body: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(body ?? "") as { jobId?: unknown }).jobId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
