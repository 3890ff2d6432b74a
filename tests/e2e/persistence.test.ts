/**
 * The local stack's emulator state survives a restart on the same data folder: objects, the queue,
 * its redrive policy and a message nobody consumed yet. No workers, so nothing consumes the job.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inputKey, jobStatusKey, queuedStatus } from "@alignsam/core/light";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../infra/local/stack.ts";
import { clientsFor } from "./harness.ts";

describe("local stack persistence", () => {
  const stacks: LocalStack[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const s of stacks) await s.stop().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (dir: string | undefined, maxReceives?: number) => {
    const stack = await startLocalStack({
      emulatorPort: 0,
      api: false,
      workers: 0,
      dataDir: dir,
      maxReceives,
      log: () => {},
    });
    stacks.push(stack);
    return stack;
  };

  it("keeps the bucket's objects, the queue and an unconsumed job message across a restart", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "alignsam-stack-"));
    const first = await start(dataDir);
    const c1 = clientsFor(first);
    const status = JSON.stringify(queuedStatus({ jobId: "persist-1", kind: "segment" }));
    await c1.put(inputKey("public", "img-1"), new Uint8Array([1, 2, 3, 4]));
    await c1.put(jobStatusKey("public", "persist-1"), status);
    const message = { v: 1, type: "segment", jobId: "persist-1", task: "saliency", uploadId: "img-1" };
    await c1.send(message);
    c1.close();
    await first.stop();

    // A restart on another (free) port, same folder: everything is still there, nothing duplicated.
    const second = await start(dataDir);
    expect(second.emulatorPort).not.toBe(first.emulatorPort);
    expect(new URL(second.queueUrl).pathname).toBe(new URL(first.queueUrl).pathname);
    const c2 = clientsFor(second);
    try {
      expect([...((await c2.get(inputKey("public", "img-1"))) ?? [])]).toEqual([1, 2, 3, 4]);
      expect(Buffer.from((await c2.get(jobStatusKey("public", "persist-1")))!).toString()).toBe(status);
      const attrs = await c2.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: second.queueUrl, AttributeNames: ["RedrivePolicy"] }),
      );
      expect(JSON.parse(attrs.Attributes!.RedrivePolicy!).deadLetterTargetArn).toMatch(/alignsam-jobs-dlq$/);
      const got = await c2.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: second.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      expect((got.Messages ?? []).map((m) => JSON.parse(m.Body!))).toEqual([message]);
    } finally {
      c2.close();
    }
    await second.stop();

    // Restarting with other queue settings updates the restored queue instead of failing.
    const third = await start(dataDir, 7);
    const c3 = clientsFor(third);
    try {
      const attrs = await c3.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: third.queueUrl, AttributeNames: ["RedrivePolicy"] }),
      );
      expect(Number(JSON.parse(attrs.Attributes!.RedrivePolicy!).maxReceiveCount)).toBe(7);
      expect(await c3.list("tenants/public/")).toHaveLength(2);
    } finally {
      c3.close();
    }
  });

  it("starts empty without a data folder", async () => {
    const stack = await start(undefined);
    const c = clientsFor(stack);
    try {
      expect(stack.dataDir).toBeUndefined();
      expect(await c.list("tenants/")).toEqual([]);
    } finally {
      c.close();
    }
  });
});
