/**
 * Sum a tenant's usage records over a time range: one listing that starts at the first day's
 * partition and stops after the last, then one read per record (records are small; reads run a
 * few at a time). Records are dated by when their job was accepted.
 */
import {
  USAGE_KINDS,
  type UsageKind,
  type UsageRecord,
  UsageRecordSchema,
  usagePrefix,
} from "@alignsam/core/light";
import type { RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";

/** Records one request sums at most; a longer range is refused with a hint to narrow it. */
export const MAX_SUMMED_RECORDS = 20_000;
const READ_CONCURRENCY = 16;

export interface UsageTotals {
  records: number;
  jobs: number;
  images: number;
  steps: number;
  modelSeconds: number;
}

export interface UsageSummary {
  readonly totals: UsageTotals;
  readonly byKind: Record<UsageKind, UsageTotals>;
}

function emptyTotals(): UsageTotals {
  return { records: 0, jobs: 0, images: 0, steps: 0, modelSeconds: 0 };
}

/** Sum records (pure, for tests and the route): jobs counts distinct job ids. */
export function sumUsage(records: readonly UsageRecord[]): UsageSummary {
  const totals = emptyTotals();
  const byKind = Object.fromEntries(USAGE_KINDS.map((k) => [k, emptyTotals()])) as Record<
    UsageKind,
    UsageTotals
  >;
  const jobs = new Set<string>();
  const jobsByKind = new Map<UsageKind, Set<string>>(USAGE_KINDS.map((k) => [k, new Set()]));
  for (const r of records) {
    for (const t of [totals, byKind[r.kind]]) {
      t.records += 1;
      t.images += r.images;
      t.steps += r.steps;
      t.modelSeconds += r.modelSeconds;
    }
    jobs.add(r.jobId);
    jobsByKind.get(r.kind)!.add(r.jobId);
  }
  totals.jobs = jobs.size;
  for (const k of USAGE_KINDS) byKind[k].jobs = jobsByKind.get(k)!.size;
  const round = (t: UsageTotals) => {
    t.modelSeconds = Math.round(t.modelSeconds * 1000) / 1000;
  };
  round(totals);
  for (const k of USAGE_KINDS) round(byKind[k]);
  return { totals, byKind };
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/** The tenant's records accepted in [from, to). */
export async function readUsage(
  ctx: RouteContext,
  tenant: string,
  from: Date,
  to: Date,
): Promise<UsageRecord[]> {
  const prefix = usagePrefix(tenant);
  const firstDay = from.toISOString().slice(0, 10);
  const lastDay = new Date(to.getTime() - 1).toISOString().slice(0, 10);
  // "/" < "0": every key of firstDay sorts after `${prefix}${firstDay}`, every later day's after "~".
  const keys = await ctx.store.listKeysBetween(
    prefix,
    `${prefix}${firstDay}`,
    `${prefix}${lastDay}/~`,
    MAX_SUMMED_RECORDS + 1,
  );
  if (keys.length > MAX_SUMMED_RECORDS) {
    throw new HttpError(
      400,
      "INVALID_REQUEST",
      `the range holds more than ${MAX_SUMMED_RECORDS} usage records; ask for a shorter range`,
      { maxRecords: MAX_SUMMED_RECORDS },
    );
  }
  const records = await mapLimited(keys, READ_CONCURRENCY, (k) => ctx.store.getJson(k, UsageRecordSchema));
  return records.filter((r): r is UsageRecord => {
    if (!r) return false;
    const t = Date.parse(r.acceptedAt);
    return t >= from.getTime() && t < to.getTime();
  });
}
