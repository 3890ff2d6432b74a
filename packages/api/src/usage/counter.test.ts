import { quotaCounterKey, type UsageUnit, usageDay, usageRecordKey } from "@alignsam/core/light";
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { startTestStack, type TestStack } from "../testing/emulator.ts";
import { makeImage } from "../testing/images.ts";
import { putTestKey } from "../testing/keys.ts";
import { type ConditionalObjects, s3ConditionalObjects, s3QuotaCounter } from "./counter.ts";
import { dynamoQuotaCounter, giveBackCommand, reserveCommand } from "./counter-dynamo.ts";

describe("the quota counter", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ anonymousTenant: undefined, keyCacheSeconds: 0 });
  });
  afterAll(() => stack?.stop());
  beforeEach(() => stack.server.reset());

  const objects = () => s3ConditionalObjects(stack.s3, stack.config.bucket);
  const zero = async () => 0;

  /** Every S3 request the client sends while `fn` runs: command name and headers. */
  async function capture(fn: () => Promise<unknown>) {
    const seen: Array<{ command: string; headers: Record<string, string>; input: Record<string, unknown> }> =
      [];
    const name = `capture-${Math.random()}`;
    stack.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        seen.push({
          command: context.commandName ?? "?",
          headers: { ...(request.headers ?? {}) },
          input: args.input as Record<string, unknown>,
        });
        return next(args);
      },
      { step: "finalizeRequest", name },
    );
    try {
      await fn();
    } finally {
      stack.s3.middlewareStack.remove(name);
    }
    return seen;
  }

  it("creates the counter with If-None-Match: * and updates it with If-Match on the ETag it read", async () => {
    const counter = s3QuotaCounter(objects());
    const seen = await capture(async () => {
      await counter.reserve("acme", 1, 10, zero);
      await counter.reserve("acme", 2, 10, zero);
    });
    const puts = seen.filter((r) => r.command === "PutObjectCommand");
    expect(puts).toHaveLength(2);
    expect(puts[0].headers["if-none-match"]).toBe("*");
    expect(puts[0].headers["if-match"]).toBeUndefined();
    const get = seen.filter((r) => r.command === "GetObjectCommand")[1];
    expect(get).toBeDefined();
    expect(puts[1].headers["if-match"]).toMatch(/^"?[^"]+"?$/);
    expect(puts[1].headers["if-none-match"]).toBeUndefined();
    expect(await counter.read("acme")).toBe(3);
  });

  it("re-reads after a lost conditional write and never admits past the quota", async () => {
    // Another API instance (its own counter, so not serialised with this one) spends the room
    // between this instance's read and its write; the write is refused as S3 would (412).
    const real = objects();
    const other = s3QuotaCounter(real);
    await other.reserve("race", 2, 5, zero);
    let puts = 0;
    const racing: ConditionalObjects = {
      get: (key) => real.get(key),
      async put(key, body, etag) {
        if (++puts === 1) {
          await other.reserve("race", 3, 5, zero); // the counter moves to 5: the ETag read is stale
          return false;
        }
        return real.put(key, body, etag);
      },
    };
    const mine = s3QuotaCounter(racing);
    expect(await mine.reserve("race", 1, 5, zero)).toEqual({ admitted: false, used: 5 });
    expect(puts).toBe(1);
    expect(await other.read("race")).toBe(5);

    // A lost write that the retry then wins adds exactly once.
    let failures = 1;
    const flaky: ConditionalObjects = {
      get: (key) => real.get(key),
      put: async (key, body, etag) => (failures-- > 0 ? false : real.put(key, body, etag)),
    };
    expect(await s3QuotaCounter(flaky).reserve("flaky", 2, 5, zero)).toEqual({ admitted: true, used: 2 });
    expect(await other.read("flaky")).toBe(2);
  });

  it("serialises one tenant's admissions in a process, so a burst fills the quota exactly", async () => {
    const counter = s3QuotaCounter(objects());
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => counter.reserve("burst", 1, 7, zero)),
    );
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(7);
    expect(await counter.read("burst")).toBe(7);
  });

  it("gives a job's images back once, however often it is asked", async () => {
    const counter = s3QuotaCounter(objects());
    await counter.reserve("gb", 4, 10, zero);
    await counter.giveBack("gb", "job-1", 3);
    await counter.giveBack("gb", "job-1", 3);
    expect(await counter.read("gb")).toBe(1);
  });

  it("admits with the same S3 requests whatever the tenant's history (no usage listing)", async () => {
    const app = createApp({ s3: stack.s3, sqs: stack.sqs, config: stack.config });
    const form = async () => {
      const f = new FormData();
      f.set("image", new File([await makeImage("png")], "a.png", { type: "image/png" }));
      f.set("task", "saliency");
      return f;
    };
    const requestsFor = async (tenant: string, history: number) => {
      const key = await putTestKey(stack, { tenant, quota: 1_000_000 });
      const unit: UsageUnit = { kind: "segment" };
      for (let start = 0; start < history; start += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, history - start) }, (_, i) =>
            stack.s3.send(
              new PutObjectCommand({
                Bucket: stack.config.bucket,
                Key: usageRecordKey(tenant, usageDay("2026-03-01T00:00:00Z"), `old-${start + i}`, unit),
                Body: "{}",
              }),
            ),
          ),
        );
      }
      // The first admission seeds the counter from the listings (once per tenant): not measured.
      const body = await form();
      expect(
        (await app.request("/v1/segment", { method: "POST", body, headers: { authorization: key.bearer } }))
          .status,
      ).toBe(202);
      const seen = await capture(async () => {
        const res = await app.request("/v1/segment", {
          method: "POST",
          body: await form(),
          headers: { authorization: key.bearer },
        });
        expect(res.status).toBe(202);
      });
      return seen.map((r) => r.command).sort();
    };
    const fresh = await requestsFor("fresh", 0);
    const old = await requestsFor("old", 1001); // more than one listing page (1000 keys)
    expect(old).toEqual(fresh);
    expect(old).not.toContain("ListObjectsV2Command");
    expect(await s3QuotaCounter(objects()).read("old")).toBe(1003);
    expect(quotaCounterKey("old")).toBe("tenants/old/quota/counter.json");
  });
});

describe("the DynamoDB quota counter", () => {
  it("admits with one conditional ADD that keeps the total within the quota", () => {
    const { input } = reserveCommand("alignsam-quota", "acme", 3, 10) as UpdateItemCommand;
    expect(input).toMatchObject({
      TableName: "alignsam-quota",
      Key: { pk: { S: "quota#acme" } },
      UpdateExpression: "ADD used :images",
      ConditionExpression: "attribute_exists(used) AND used <= :room",
      ExpressionAttributeValues: { ":images": { N: "3" }, ":room": { N: "7" } },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
  });

  it("gives back in one transaction with a per-job marker created only once", () => {
    const { input } = giveBackCommand("t", "acme", "job-1", 2, Date.UTC(2026, 0, 1));
    const [marker, update] = input.TransactItems ?? [];
    expect(marker.Put).toMatchObject({
      Item: { pk: { S: "quota#acme#settled#job-1" } },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(Number(marker.Put?.Item?.expiresAt.N)).toBeGreaterThan(Date.UTC(2026, 0, 1) / 1000);
    expect(update.Update).toMatchObject({
      UpdateExpression: "ADD used :minus",
      ExpressionAttributeValues: { ":minus": { N: "-2" } },
    });
  });

  it("refuses with the stored total, seeds a missing counter, and ignores a repeated give-back", async () => {
    const sent: unknown[] = [];
    const replies: Array<(command: { input: Record<string, unknown> }) => unknown> = [
      // reserve on a missing item: the condition fails with no item
      () => {
        throw new ConditionalCheckFailedException({ message: "no item", $metadata: {} });
      },
      () => ({}), // the seed PutItem
      () => ({ Attributes: { used: { N: "9" } } }), // reserve again: admitted
      () => {
        throw new ConditionalCheckFailedException({
          message: "full",
          $metadata: {},
          Item: { used: { N: "9" } },
        });
      },
      () => {
        throw new TransactionCanceledException({ message: "marker exists", $metadata: {} });
      },
    ];
    const db = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command);
        return replies.shift()!(command);
      },
    };
    const counter = dynamoQuotaCounter(db as never, "t");
    expect(await counter.reserve("acme", 1, 10, async () => 8)).toEqual({ admitted: true, used: 9 });
    expect((sent[1] as { input: unknown }).input).toMatchObject({
      Item: { pk: { S: "quota#acme" }, used: { N: "8" } },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(await counter.reserve("acme", 2, 10, async () => 0)).toEqual({ admitted: false, used: 9 });
    await expect(counter.giveBack("acme", "job-1", 1)).resolves.toBeUndefined();
    expect(sent).toHaveLength(5);
  });
});
