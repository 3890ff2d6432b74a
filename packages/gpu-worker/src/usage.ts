/**
 * Metering: one usage record per billable unit (a segmented image, an evaluated image, a training
 * run) at a key fixed by tenant, acceptance day, job and unit, so a redelivered message or a retried
 * write rewrites the record and never adds a second. Handlers write it before the object that marks
 * the unit done (the terminal status, the per-image document, the promotion decision), so a unit
 * that counts as done always has its record.
 */
import {
  type JobMessage,
  type JobStatus,
  type UsageRecord,
  UsageRecordSchema,
  type UsageUnit,
  usageDay,
  usageRecordKey,
} from "@alignsam/core/light";
import type { HandlerContext } from "./context.ts";

/**
 * When the job was accepted: the message's submittedAt (the API always sets it), else the status
 * document's createdAt. Both are fixed per job, unlike the time of this delivery, so every delivery
 * of one unit lands on the same key.
 */
export function acceptedAt(
  msg: Pick<JobMessage, "submittedAt">,
  status: JobStatus | undefined,
  now: Date,
): string {
  return msg.submittedAt ?? status?.createdAt ?? now.toISOString();
}

export interface Metered {
  readonly tenant: string;
  readonly jobId: string;
  readonly task: string;
  readonly acceptedAt: string;
  readonly unit: UsageUnit;
  readonly images: number;
  readonly steps: number;
  readonly modelSeconds: number;
}

/** Write (or rewrite) the unit's usage record. */
export async function recordUsage(ctx: HandlerContext, m: Metered): Promise<UsageRecord> {
  const record = UsageRecordSchema.parse({
    v: 1,
    tenant: m.tenant,
    jobId: m.jobId,
    kind: m.unit.kind,
    ...("imageId" in m.unit ? { imageId: m.unit.imageId } : {}),
    task: m.task,
    images: m.images,
    steps: m.steps,
    modelSeconds: Math.round(m.modelSeconds * 1e6) / 1e6,
    acceptedAt: new Date(m.acceptedAt).toISOString(),
    meteredAt: ctx.now().toISOString(),
  } satisfies UsageRecord);
  await ctx.storage.putJson(usageRecordKey(m.tenant, usageDay(record.acceptedAt), m.jobId, m.unit), record);
  return record;
}

/** Seconds since a performance.now() reading. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
