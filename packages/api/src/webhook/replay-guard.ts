/**
 * Replay protection that survives across Lambda instances: every accepted signature is remembered
 * as an S3 object under a key derived from it, so the same signed request is refused anywhere.
 * Two identical requests racing each other may both pass the check; they then map to the same
 * deterministic job id (see webhookJobId), so the worker still runs the job once.
 */
import { createHash } from "node:crypto";
import { isPreconditionFailed } from "@alignsam/core/storage";
import type { Store } from "../storage/store.ts";

function digest(signature: string): string {
  return createHash("sha256").update(signature).digest("hex");
}

/** Where a seen signature is remembered (outside every tenant's prefix). */
export function seenSignatureKey(signature: string): string {
  return `webhooks/seen/${digest(signature)}.json`;
}

/** The job a signed webhook creates: the same signature always names the same job. */
export function webhookJobId(signature: string): string {
  return `train-${digest(signature).slice(0, 40)}`;
}

export async function wasSeen(store: Store, signature: string): Promise<boolean> {
  return store.exists(seenSignatureKey(signature));
}

/**
 * Record a signature as used; false when S3 reports it was recorded first by a concurrent request
 * (If-None-Match is honoured on AWS; the emulator ignores it and the deterministic job id covers it).
 */
export async function rememberSignature(
  store: Store,
  signature: string,
  now: Date,
  jobId: string,
): Promise<boolean> {
  try {
    await store.putJson(
      seenSignatureKey(signature),
      { seenAt: now.toISOString(), jobId },
      { ifNoneMatch: true },
    );
    return true;
  } catch (err) {
    if (isPreconditionFailed(err)) return false;
    throw err;
  }
}
