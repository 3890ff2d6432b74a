/**
 * The quota counter on DynamoDB (selected by ALIGNSAM_QUOTA_TABLE; the table is declared in
 * infra/aws/quota.ts, partition key `pk`, TTL attribute `expiresAt`). One item per tenant holds
 * `used`; admission is one UpdateItem that ADDs the images under a ConditionExpression keeping the
 * total within the limit, so DynamoDB itself serialises concurrent admissions (no retry loop). A
 * give-back is a transaction: a marker item per job (created only if absent, expiring after
 * SETTLED_MEMORY_MS) plus the decrement, so a second give-back of the same job changes nothing.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type QuotaCounter, SETTLED_MEMORY_MS } from "./counter.ts";

const counterKey = (tenant: string) => ({ pk: { S: `quota#${tenant}` } });
const settledKey = (tenant: string, jobId: string) => ({ pk: { S: `quota#${tenant}#settled#${jobId}` } });

/** The UpdateItem of one admission: add `images` only if the item exists and has room. */
export function reserveCommand(table: string, tenant: string, images: number, limit: number) {
  return new UpdateItemCommand({
    TableName: table,
    Key: counterKey(tenant),
    UpdateExpression: "ADD used :images",
    ConditionExpression: "attribute_exists(used) AND used <= :room",
    ExpressionAttributeValues: { ":images": { N: String(images) }, ":room": { N: String(limit - images) } },
    ReturnValues: "UPDATED_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
}

/** The first write of a tenant's counter, from its usage counted the old way; loses to any other. */
export function seedCommand(table: string, tenant: string, used: number) {
  return new PutItemCommand({
    TableName: table,
    Item: { ...counterKey(tenant), used: { N: String(used) } },
    ConditionExpression: "attribute_not_exists(pk)",
  });
}

/** The give-back transaction: the job's marker (only if new) and the decrement (never below 0). */
export function giveBackCommand(table: string, tenant: string, jobId: string, images: number, nowMs: number) {
  return new TransactWriteItemsCommand({
    TransactItems: [
      {
        Put: {
          TableName: table,
          Item: {
            ...settledKey(tenant, jobId),
            expiresAt: { N: String(Math.ceil((nowMs + SETTLED_MEMORY_MS) / 1000)) },
          },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
      {
        Update: {
          TableName: table,
          Key: counterKey(tenant),
          UpdateExpression: "ADD used :minus",
          ConditionExpression: "used >= :images",
          ExpressionAttributeValues: { ":minus": { N: String(-images) }, ":images": { N: String(images) } },
        },
      },
    ],
  });
}

const usedOf = (item: Record<string, { N?: string }> | undefined) =>
  item?.used?.N === undefined ? undefined : Number(item.used.N);

/**
 * @example
 * const counter = dynamoQuotaCounter(new DynamoDBClient({}), process.env.ALIGNSAM_QUOTA_TABLE!);
 */
export function dynamoQuotaCounter(
  db: Pick<DynamoDBClient, "send">,
  table: string,
  clock: () => Date = () => new Date(),
): QuotaCounter {
  const send = db.send.bind(db) as (command: unknown) => Promise<Record<string, unknown>>;
  return {
    async read(tenant) {
      const res = await send(
        new GetItemCommand({ TableName: table, Key: counterKey(tenant), ConsistentRead: true }),
      );
      return usedOf(res.Item as Record<string, { N?: string }> | undefined);
    },
    async reserve(tenant, images, limit, seed) {
      if (images > limit) {
        return { admitted: false, used: (await this.read(tenant)) ?? (await seed()) };
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const res = await send(reserveCommand(table, tenant, images, limit));
          return { admitted: true, used: usedOf(res.Attributes as Record<string, { N?: string }>) ?? 0 };
        } catch (err) {
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
          const used = usedOf(err.Item as Record<string, { N?: string }> | undefined);
          if (used !== undefined) return { admitted: false, used };
          // No counter yet: seed it (one writer wins; the others' puts fail harmlessly) and retry.
          const initial = await seed();
          await send(seedCommand(table, tenant, initial)).catch((e: unknown) => {
            if (!(e instanceof ConditionalCheckFailedException)) throw e;
          });
        }
      }
      throw new Error(`quota counter of ${tenant} could not be created`);
    },
    async giveBack(tenant, jobId, images) {
      if (images <= 0) return;
      try {
        await send(giveBackCommand(table, tenant, jobId, images, clock().getTime()));
      } catch (err) {
        // The marker exists (given back already) or the counter holds less: nothing to give back.
        if (err instanceof TransactionCanceledException) return;
        throw err;
      }
    },
  };
}
