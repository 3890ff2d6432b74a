/**
 * Quotas in images (a training run counts as the labelled images it reads), admitted in O(1) against a per-tenant counter (counter.ts: an S3 object updated
 * with conditional writes, or a DynamoDB item). The counter holds the images admitted and not given
 * back, i.e. metered images plus the images of accepted jobs not metered yet:
 *
 * - admission adds the job's images to the counter atomically, only if the total stays within the
 *   quota (so concurrent admissions never pass it), then writes the job's reservation
 *   (`tenants/<t>/reservations/<jobId>/<images>.<ms>.json`);
 * - metering changes nothing: a usage record turns a reserved image into a metered one, and the
 *   counter already holds it (no double counting);
 * - when a job has ended, its reservation is settled: the images it did not meter (a failed job's)
 *   are given back once per job, and the reservation is deleted. Settling lists only open
 *   reservations (bounded by work in flight, not by history) and runs when an admission would be
 *   refused and on GET /v1/usage, never on the common path.
 *
 * A tenant's first admission seeds its counter from the listings (every usage record and
 * reservation, the way quotas were counted before the counter): once per tenant.
 */
import {
  isTerminal,
  JobStatusSchema,
  jobStatusKey,
  parseReservationKey,
  parseUsageKey,
  type QuotaReservation,
  type ReservationRef,
  reservationKey,
  reservationsPrefix,
  UsageRecordSchema,
  usageDay,
  usageJobPrefix,
  usagePrefix,
} from "@alignsam/core/light";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Principal } from "../auth/principal.ts";
import type { ApiConfig } from "../config.ts";
import type { RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { type QuotaCounter, s3ConditionalObjects, s3QuotaCounter } from "./counter.ts";
import { dynamoQuotaCounter } from "./counter-dynamo.ts";
import { mapLimited } from "./summary.ts";

/** A reservation whose job never got a status document is settled (all given back) after this long. */
const ORPHAN_RESERVATION_MS = 10 * 60 * 1000;

/**
 * Younger reservations are not settled (no status read): a job seldom ends this fast, and when it
 * does its unbilled images come back a few seconds later (never earlier).
 */
export const STATUS_RECHECK_AFTER_MS = 15_000;

const SETTLE_CONCURRENCY = 8;

export interface QuotaUsage {
  /** Metered images plus images of accepted jobs not metered yet. */
  readonly used: number;
}

const counters = new WeakMap<RouteContext, QuotaCounter>();

/** Bind the counter the routes of `ctx` admit against (createApp does, once). */
export function useQuotaCounter(ctx: RouteContext, counter: QuotaCounter): void {
  counters.set(ctx, counter);
}

function counterOf(ctx: RouteContext): QuotaCounter {
  const counter = counters.get(ctx);
  if (!counter) throw new Error("no quota counter bound to this route context (createApp binds one)");
  return counter;
}

/** DynamoDB when ALIGNSAM_QUOTA_TABLE names a table (AWS), else the S3 counter object. */
export function createQuotaCounter(
  deps: { s3: S3Client; config: ApiConfig; clock?: () => Date },
  dynamo?: () => DynamoDBClient,
): QuotaCounter {
  const { s3, config, clock } = deps;
  if (config.quotaTable) {
    const db = dynamo?.() ?? new DynamoDBClient({ region: config.region });
    return dynamoQuotaCounter(db, config.quotaTable, clock);
  }
  return s3QuotaCounter(s3ConditionalObjects(s3, config.bucket), clock);
}

/**
 * The tenant's usage counted from listings: every non-training usage record plus the unmetered
 * part of each reservation that still counts (deleting those that do not). O(history): only to
 * seed a tenant's counter.
 */
export async function countFromListings(ctx: RouteContext, tenant: string): Promise<number> {
  const byJob = new Map<string, number>();
  const [usageKeys, reservations] = await Promise.all([
    ctx.store.listKeys(usagePrefix(tenant)),
    ctx.store.listKeys(reservationsPrefix(tenant)),
  ]);
  for (const key of usageKeys) {
    const parsed = parseUsageKey(tenant, key);
    if (!parsed) continue;
    // A training run counts as the labelled images it read (its one record says how many).
    const images =
      parsed.unit.kind === "train" ? ((await ctx.store.getJson(key, UsageRecordSchema))?.images ?? 0) : 1;
    byJob.set(parsed.jobId, (byJob.get(parsed.jobId) ?? 0) + images);
  }
  let used = 0;
  for (const n of byJob.values()) used += n;
  for (const key of reservations) {
    const ref = parseReservationKey(tenant, key);
    if (ref) used += Math.max(0, ref.images - (byJob.get(ref.jobId) ?? 0));
  }
  return used;
}

/** Images of the job metered so far (its usage records, listed under the job's own prefix). */
async function meteredImages(ctx: RouteContext, tenant: string, ref: ReservationRef, acceptedAt: string) {
  // The usage day is the job's acceptance time; the reservation's own time is a few ms earlier and
  // could fall on the day before, so both are listed when they differ.
  const days = new Set([usageDay(acceptedAt), usageDay(new Date(ref.createdAtMs).toISOString())]);
  let metered = 0;
  for (const day of days) {
    for (const key of await ctx.store.listKeys(usageJobPrefix(tenant, day, ref.jobId))) {
      const parsed = parseUsageKey(tenant, key);
      // A metered training run bills every image it reserved.
      if (parsed) metered += parsed.unit.kind === "train" ? ref.images : 1;
    }
  }
  return metered;
}

/**
 * Settle the reservations of ended jobs (or, after ORPHAN_RESERVATION_MS, of jobs that never got a
 * status document): delete each, then give back what it did not meter. Deleting first means a crash
 * in between keeps the images counted (never an undercount); the counter's per-job memory makes a
 * concurrent second settler's give-back a no-op. Returns the images given back.
 */
export async function settleEndedJobs(ctx: RouteContext, tenant: string): Promise<number> {
  const counter = counterOf(ctx);
  const now = ctx.clock().getTime();
  const keys = await ctx.store.listKeys(reservationsPrefix(tenant));
  const given = await mapLimited(keys, SETTLE_CONCURRENCY, async (key) => {
    const ref = parseReservationKey(tenant, key);
    if (!ref) return 0;
    const age = now - ref.createdAtMs;
    if (age < STATUS_RECHECK_AFTER_MS) return 0;
    const status = await ctx.store.getJson(jobStatusKey(tenant, ref.jobId), JobStatusSchema);
    if (status ? !isTerminal(status.state) : age < ORPHAN_RESERVATION_MS) return 0;
    const metered = status ? await meteredImages(ctx, tenant, ref, status.createdAt) : 0;
    const unbilled = Math.max(0, ref.images - metered);
    await ctx.store.deleteKey(key);
    if (unbilled > 0) await counter.giveBack(tenant, ref.jobId, unbilled);
    return unbilled;
  });
  return given.reduce((a, b) => a + b, 0);
}

/** What the tenant has used against its quota, after settling ended jobs. */
export async function measureQuota(ctx: RouteContext, tenant: string): Promise<QuotaUsage> {
  await settleEndedJobs(ctx, tenant);
  const used = (await counterOf(ctx).read(tenant)) ?? (await countFromListings(ctx, tenant));
  return { used };
}

function refuse(principal: Principal, used: number, requested: number): HttpError {
  const quota = principal.quota ?? 0;
  return new HttpError(
    402,
    "QUOTA_EXCEEDED",
    `this request needs ${requested} image(s) but the key's quota of ${quota} images has ${Math.max(0, quota - used)} left (${used} used); ask for a larger quota`,
    { used, quota, requested },
  );
}

/** An admitted job's hold on the quota; `release` withdraws it when the job is not submitted after all. */
export interface Admission {
  release(): Promise<void>;
}

const NOTHING_HELD: Admission = { release: async () => undefined };

/**
 * Run the writes that submit an admitted job; if one fails, withdraw the hold (best effort: the
 * write's error is the one the caller sees) and rethrow, so a job never submitted holds nothing.
 */
export async function releaseOnFailure<T>(admission: Admission, submit: () => Promise<T>): Promise<T> {
  try {
    return await submit();
  } catch (err) {
    await admission.release().catch(() => undefined);
    throw err;
  }
}

/**
 * Admit `images` of new work for `jobId`, or throw QUOTA_EXCEEDED (402) having added nothing to
 * the quota. Unlimited callers are admitted without a reservation. Cost: one counter update and
 * one reservation PUT, whatever the tenant's history.
 */
export async function admit(
  ctx: RouteContext,
  principal: Principal,
  job: { jobId: string; kind: QuotaReservation["kind"]; images: number },
): Promise<Admission> {
  const limit = principal.quota;
  if (limit === null) return NOTHING_HELD;
  const tenant = principal.tenant;
  const counter = counterOf(ctx);
  const seed = () => countFromListings(ctx, tenant);
  let outcome = await counter.reserve(tenant, job.images, limit, seed);
  // Near the quota, ended jobs may hold images they will never meter: settle them, then retry once.
  if (!outcome.admitted && (await settleEndedJobs(ctx, tenant)) > 0) {
    outcome = await counter.reserve(tenant, job.images, limit, seed);
  }
  if (!outcome.admitted) throw refuse(principal, outcome.used, job.images);

  const now = ctx.clock();
  const key = reservationKey(tenant, { jobId: job.jobId, images: job.images, createdAtMs: now.getTime() });
  const reservation: QuotaReservation = {
    v: 1,
    tenant,
    jobId: job.jobId,
    ...(principal.keyId ? { keyId: principal.keyId } : {}),
    kind: job.kind,
    images: job.images,
    createdAt: now.toISOString(),
  };
  try {
    await ctx.store.putJson(key, reservation);
  } catch (e) {
    await counter.giveBack(tenant, job.jobId, job.images).catch(() => undefined);
    throw e;
  }
  return {
    async release() {
      await ctx.store.deleteKey(key);
      await counter.giveBack(tenant, job.jobId, job.images);
    },
  };
}
