/**
 * `batch-reduce`: read every image's outcome, write coco.json (and coco-polygons.json when asked)
 * and batch.zip under the job's results/, then the succeeded status (last), whose summary counts
 * the images that succeeded and failed. Idempotent: a second reduce finds the job terminal and does
 * nothing; a crash before the status rewrites the same bytes from the same inputs.
 */
import {
  BATCH_IMAGE_FILES,
  BatchImageOutcomeSchema,
  type BatchReduceMessage,
  batchImageFileKey,
  batchOutcomeKey,
  batchResultKey,
  isTerminal,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";
import { readStatus, startJob, succeedJob } from "../job-status.ts";
import {
  type ArchiveEntry,
  archivePath,
  failuresOf,
  type ItemOutcome,
  mergeCocoFragments,
  packArchive,
} from "./batch-results.ts";
import { batchCategory, batchJobRef, readBatchManifest } from "./batch-shard.ts";
import type { HandlerResult } from "./result.ts";

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value)}\n`);

export async function handleBatchReduce(
  ctx: HandlerContext,
  msg: BatchReduceMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const manifest = await readBatchManifest(ctx, msg.tenant, msg.batchId);
  const ref = batchJobRef(manifest);
  const existing = await readStatus(ctx, ref);
  if (existing && isTerminal(existing.state)) return { outcome: "skipped" };

  const outcomes: ItemOutcome[] = [];
  for (const item of manifest.shards.flatMap((s) => s.items)) {
    const outcome =
      (await ctx.storage.getJson(
        batchOutcomeKey(msg.tenant, msg.batchId, "ok", item.id),
        BatchImageOutcomeSchema,
      )) ??
      (await ctx.storage.getJson(
        batchOutcomeKey(msg.tenant, msg.batchId, "failed", item.id),
        BatchImageOutcomeSchema,
      ));
    // Every shard marker exists before a reduce is sent, so a missing outcome is a real fault: retry.
    if (!outcome) throw new Error(`outcome of image "${item.id}" missing in batch "${msg.batchId}"`);
    outcomes.push({ item, outcome });
  }

  const category = batchCategory(manifest);
  const wanted = new Set(manifest.outputs);
  const entries: ArchiveEntry[] = [];
  const resultKeys: Record<string, string> = {};
  if (wanted.has("coco")) {
    const sets = [
      ["coco.json", false] as const,
      ...(wanted.has("polygons") ? [["coco-polygons.json", true] as const] : []),
    ];
    for (const [name, polygons] of sets) {
      const bytes = json(
        mergeCocoFragments(outcomes, category, { polygons, dateCreated: manifest.createdAt }),
      );
      const key = batchResultKey(msg.tenant, msg.batchId, name);
      await ctx.storage.putBytes(key, bytes, "application/json");
      resultKeys[name] = key;
      entries.push({ path: name, bytes });
    }
  }
  for (const { item, outcome } of outcomes) {
    for (const file of outcome.files) {
      const bytes = await ctx.storage.getBytes(batchImageFileKey(msg.tenant, msg.batchId, item.id, file));
      if (!bytes) throw new Error(`${file} of image "${item.id}" missing in batch "${msg.batchId}"`);
      entries.push({ path: archivePath(item.id, file), bytes, stored: file === BATCH_IMAGE_FILES.mask });
    }
  }
  const failures = failuresOf(outcomes);
  if (failures.length > 0) entries.push({ path: "failures.json", bytes: json(failures) });
  const zipKey = batchResultKey(msg.tenant, msg.batchId, "batch.zip");
  await ctx.storage.putBytes(zipKey, packArchive(entries), "application/zip");
  resultKeys["batch.zip"] = zipKey;

  const total = outcomes.length;
  const status = await startJob(ctx, ref, delivery, total);
  if (!status) return { outcome: "skipped" };
  const done = await succeedJob(ctx, status, resultKeys, {
    images: total,
    succeeded: total - failures.length,
    failed: failures.length,
  });
  return { outcome: "succeeded", status: done };
}
