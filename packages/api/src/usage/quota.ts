/**
 * Quotas in images, counted from S3 listings: metered images (one usage record per segmented or
 * evaluated image) plus the unmetered part of every open reservation (one per accepted job, its
 * image count and time in its key). S3 is not transactional, so admission is optimistic: count,
 * write the reservation, count again with it included, and withdraw it if the total now exceeds
 * the quota. Concurrent requests can then both be refused, never both admitted past the quota
 * (S3 listings are read-after-write consistent), except in the narrow case docs/service.md
 * describes. A production deployment would keep the counter in DynamoDB (one conditional update
 * per admission) instead.
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
  usagePrefix,
} from "@alignsam/core/light";
import type { Principal } from "../auth/principal.ts";
import type { RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";

/** A reservation whose job never got a status document is dropped after this long. */
const ORPHAN_RESERVATION_MS = 10 * 60 * 1000;

/**
 * Younger reservations are taken as open without reading their job's status: a job seldom ends
 * this fast, and when it does its images count a few seconds longer (never fewer). This keeps a
 * burst of admissions from reading the status of every job it just accepted.
 */
export const STATUS_RECHECK_AFTER_MS = 15_000;

export interface QuotaUsage {
  /** Images metered so far (segment + evaluation images). */
  readonly metered: number;
  /** Images of accepted jobs not metered yet. */
  readonly reserved: number;
  readonly used: number;
}

async function meteredByJob(ctx: RouteContext, tenant: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const key of await ctx.store.listKeys(usagePrefix(tenant))) {
    const parsed = parseUsageKey(tenant, key);
    if (!parsed || parsed.unit.kind === "train") continue; // training runs are not in image quotas
    counts.set(parsed.jobId, (counts.get(parsed.jobId) ?? 0) + 1);
  }
  return counts;
}

/**
 * Does a reservation no longer count? Fully metered, or (once old enough to be worth a read) its
 * job has ended, or it never got a status document.
 */
async function isSettled(ctx: RouteContext, tenant: string, ref: ReservationRef, metered: number) {
  if (metered >= ref.images) return true;
  const age = ctx.clock().getTime() - ref.createdAtMs;
  if (age < STATUS_RECHECK_AFTER_MS) return false;
  const status = await ctx.store.getJson(jobStatusKey(tenant, ref.jobId), JobStatusSchema);
  return status ? isTerminal(status.state) : age >= ORPHAN_RESERVATION_MS;
}

/**
 * What the tenant has used against its quota. With `tidy`, reservations that no longer count are
 * deleted (reading the status of jobs not yet metered in full); without, every listed reservation
 * counts (conservative: never an undercount), which keeps a recount to two listings.
 */
export async function measureQuota(ctx: RouteContext, tenant: string, tidy = true): Promise<QuotaUsage> {
  const [byJob, keys] = await Promise.all([
    meteredByJob(ctx, tenant),
    ctx.store.listKeys(reservationsPrefix(tenant)),
  ]);
  let metered = 0;
  for (const n of byJob.values()) metered += n;
  const outstanding = await Promise.all(
    keys.map(async (key) => {
      const ref = parseReservationKey(tenant, key);
      if (!ref) return 0;
      const done = byJob.get(ref.jobId) ?? 0;
      if (tidy && (await isSettled(ctx, tenant, ref, done))) {
        await ctx.store.deleteKey(key);
        return 0;
      }
      return Math.max(0, ref.images - done);
    }),
  );
  const reserved = outstanding.reduce((a, b) => a + b, 0);
  return { metered, reserved, used: metered + reserved };
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
 * Admit `images` of new work for `jobId`, or throw QUOTA_EXCEEDED (402) having left nothing
 * written. Unlimited callers are admitted without a reservation.
 */
export async function admit(
  ctx: RouteContext,
  principal: Principal,
  job: { jobId: string; kind: QuotaReservation["kind"]; images: number },
): Promise<Admission> {
  if (principal.quota === null) return NOTHING_HELD;
  const before = await measureQuota(ctx, principal.tenant);
  if (before.used + job.images > principal.quota) throw refuse(principal, before.used, job.images);
  const now = ctx.clock();
  const key = reservationKey(principal.tenant, {
    jobId: job.jobId,
    images: job.images,
    createdAtMs: now.getTime(),
  });
  const reservation: QuotaReservation = {
    v: 1,
    tenant: principal.tenant,
    jobId: job.jobId,
    ...(principal.keyId ? { keyId: principal.keyId } : {}),
    kind: job.kind,
    images: job.images,
    createdAt: now.toISOString(),
  };
  await ctx.store.putJson(key, reservation);
  const release = () => ctx.store.deleteKey(key);
  let after: QuotaUsage;
  try {
    after = await measureQuota(ctx, principal.tenant, false);
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
  if (after.used > principal.quota) {
    await release();
    throw refuse(principal, after.used - job.images, job.images);
  }
  return { release };
}
