/**
 * The quota counter: per tenant, the images admitted and not given back. Admission reads and
 * updates one small document whatever the tenant's history, so its cost stays flat as usage
 * records pile up (they are no longer listed per request).
 *
 * On S3 the document is `tenants/<t>/quota/counter.json`, updated read-modify-write with a
 * conditional PUT: If-Match on the ETag read (If-None-Match: * when creating it). A 412/409 means
 * another writer won; the update re-reads and tries again, so two admissions can never both spend
 * the same room. Within one process updates of a tenant also run one at a time (fewer conflicts,
 * and correct on emulators that ignore the conditions, like the local stack's fauxqs).
 * DynamoDB (counter-dynamo.ts) implements the same port with conditional UpdateItem.
 */

import { quotaCounterKey } from "@alignsam/core/light";
import { isNotFound, isPreconditionFailed } from "@alignsam/core/storage";
import {
  GetObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { z } from "zod";

export interface QuotaCounter {
  /** The tenant's used images; undefined before its first admission. */
  read(tenant: string): Promise<number | undefined>;
  /**
   * Atomically add `images` if the total stays within `limit`. A tenant with no counter yet starts
   * from `seed()` (its usage counted the old, listing way: once per tenant).
   */
  reserve(
    tenant: string,
    images: number,
    limit: number,
    seed: () => Promise<number>,
  ): Promise<{ admitted: boolean; used: number }>;
  /**
   * Give back `images` held for `jobId` (unbilled images of an ended job, or a job never
   * submitted). Once per job: a second call for the same job changes nothing.
   */
  giveBack(tenant: string, jobId: string, images: number): Promise<void>;
}

/**
 * How long a given-back job is remembered. Settling deletes the reservation before giving back, so
 * a duplicate can only come from a settler that listed the reservation before that delete: seconds
 * later, not an hour. Only jobs with something to give back (failed, never submitted) are kept.
 */
export const SETTLED_MEMORY_MS = 60 * 60 * 1000;
/** Conditional-write conflicts one update retries before it fails (503 to the caller). */
export const MAX_CONFLICT_RETRIES = 20;

export const QuotaCounterDocSchema = z.object({
  v: z.literal(1),
  /** Images admitted and not given back: metered images plus open reservations. */
  used: z.int().min(0),
  /** Jobs given back, with when (ms): makes giveBack idempotent. Pruned after SETTLED_MEMORY_MS. */
  settled: z.record(z.string(), z.int().min(0)),
});
export type QuotaCounterDoc = z.infer<typeof QuotaCounterDocSchema>;

/** The S3 calls the counter makes, apart so a test can inject a write conflict. */
export interface ConditionalObjects {
  get(key: string): Promise<{ body: string; etag: string } | undefined>;
  /** Write if the object still has `etag` (undefined: if it does not exist); false on a conflict. */
  put(key: string, body: string, etag: string | undefined): Promise<boolean>;
}

/** The conditional PutObject input: If-Match on the ETag read, or If-None-Match: * to create. */
export function conditionalPutInput(
  bucket: string,
  key: string,
  body: string,
  etag: string | undefined,
): PutObjectCommandInput {
  return {
    Bucket: bucket,
    Key: key,
    Body: body,
    ContentType: "application/json",
    ...(etag === undefined ? { IfNoneMatch: "*" } : { IfMatch: etag }),
  };
}

export function s3ConditionalObjects(s3: S3Client, bucket: string): ConditionalObjects {
  return {
    async get(key) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = await res.Body!.transformToString();
        if (!res.ETag) throw new Error(`S3 returned no ETag for ${key}`);
        return { body, etag: res.ETag };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async put(key, body, etag) {
      try {
        await s3.send(new PutObjectCommand(conditionalPutInput(bucket, key, body, etag)));
        return true;
      } catch (err) {
        // 412 PreconditionFailed: the ETag moved (or the object appeared); 409: a concurrent write.
        if (isPreconditionFailed(err)) return false;
        throw err;
      }
    },
  };
}

/** Runs the tasks of one key one at a time, in order. */
function keyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const run = prev.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The counter on S3 conditional writes.
 *
 * @example
 * const counter = s3QuotaCounter(s3ConditionalObjects(s3, bucket));
 * const { admitted } = await counter.reserve("acme", 1, 1000, async () => 0);
 */
export function s3QuotaCounter(
  objects: ConditionalObjects,
  clock: () => Date = () => new Date(),
): QuotaCounter {
  const serial = keyedSerializer();

  async function load(tenant: string) {
    const got = await objects.get(quotaCounterKey(tenant));
    if (!got) return undefined;
    return { doc: QuotaCounterDocSchema.parse(JSON.parse(got.body)), etag: got.etag };
  }

  /**
   * Read-modify-write until a conditional PUT wins. `change` returns the new document, or
   * undefined to write nothing, and the caller's result.
   */
  function update<R>(
    tenant: string,
    change: (doc: QuotaCounterDoc | undefined) => Promise<{ next?: QuotaCounterDoc; result: R }>,
  ): Promise<R> {
    return serial(tenant, async () => {
      for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
        const current = await load(tenant);
        const { next, result } = await change(current?.doc);
        if (!next) return result;
        const now = clock().getTime();
        const settled = Object.fromEntries(
          Object.entries(next.settled).filter(([, at]) => now - at < SETTLED_MEMORY_MS),
        );
        const body = JSON.stringify(QuotaCounterDocSchema.parse({ ...next, settled }));
        if (await objects.put(quotaCounterKey(tenant), body, current?.etag)) return result;
        await sleep(Math.random() * Math.min(100, 5 * 2 ** attempt)); // another instance won: back off
      }
      throw new Error(`quota counter of ${tenant}: ${MAX_CONFLICT_RETRIES} write conflicts in a row`);
    });
  }

  return {
    async read(tenant) {
      return (await load(tenant))?.doc.used;
    },
    reserve(tenant, images, limit, seed) {
      return update<{ admitted: boolean; used: number }>(tenant, async (doc) => {
        const base = doc ?? { v: 1 as const, used: await seed(), settled: {} };
        if (base.used + images > limit) return { result: { admitted: false, used: base.used } };
        const used = base.used + images;
        return { next: { ...base, used }, result: { admitted: true, used } };
      });
    },
    async giveBack(tenant, jobId, images) {
      await update(tenant, async (doc) => {
        if (!doc || jobId in doc.settled) return { result: undefined };
        const settled = { ...doc.settled, [jobId]: clock().getTime() };
        return { next: { ...doc, used: Math.max(0, doc.used - images), settled }, result: undefined };
      });
    },
  };
}
