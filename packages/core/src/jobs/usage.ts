/**
 * Metering documents. The worker writes one UsageRecord per billable unit (a segmented image, an
 * evaluated image, a training run) at a deterministic key (see usageRecordKey), so redeliveries
 * rewrite instead of double-counting. The API writes a QuotaReservation when it accepts work, so
 * work accepted but not yet metered counts against a quota too.
 */
import { z } from "zod";
import { KeySegmentSchema } from "./keys.ts";

export const USAGE_KINDS = ["segment", "evaluation-image", "batch-image", "train"] as const;
export const UsageKindSchema = z.enum(USAGE_KINDS);
export type UsageKind = z.infer<typeof UsageKindSchema>;

export const UsageRecordSchema = z.object({
  v: z.literal(1),
  tenant: KeySegmentSchema,
  jobId: KeySegmentSchema,
  kind: UsageKindSchema,
  /** The evaluated (batch-segmented) image, for kind "evaluation-image" ("batch-image"). */
  imageId: KeySegmentSchema.optional(),
  task: z.string().min(1).max(64),
  /** Images the unit processed: 1 for segment, evaluation-image and batch-image; train + held-out for train. */
  images: z.int().min(0),
  /** Prompting steps (clicks) the unit ran; for train, the steps of the held-out scoring are not counted. */
  steps: z.int().min(0),
  /** Wall time of the model work (segmenter encode + decode, agent, SRM), in seconds. */
  modelSeconds: z.number().min(0),
  /** When the API accepted the job; also the record's day partition and its time for GET /v1/usage. */
  acceptedAt: z.iso.datetime(),
  /** When the worker wrote the record (informative; a redelivery rewrites it). */
  meteredAt: z.iso.datetime(),
});
export type UsageRecord = z.infer<typeof UsageRecordSchema>;

/** Images of accepted work a quota must count before the worker meters it. */
export const QuotaReservationSchema = z.object({
  v: z.literal(1),
  tenant: KeySegmentSchema,
  jobId: KeySegmentSchema,
  /** The API key that accepted the job (absent for the anonymous tenant). */
  keyId: z.string().min(1).max(64).optional(),
  kind: z.enum(["segment", "evaluation", "batch", "train"]),
  images: z.int().min(1),
  createdAt: z.iso.datetime(),
});
export type QuotaReservation = z.infer<typeof QuotaReservationSchema>;

/** The yyyy-mm-dd (UTC) partition of an ISO timestamp. */
export function usageDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a timestamp: ${iso}`);
  return d.toISOString().slice(0, 10);
}
