/**
 * What a fanned-out job (an evaluation, a batch) shares: its manifest lists the shards, indexed
 * 0..n-1 in order, the API sends one message per shard, and each shard writes a done marker when
 * all of its images are written.
 */
import { z } from "zod";
import { KeySegmentSchema } from "./keys.ts";

/** The manifest's shards, each listing its items (at least one). */
export function shardsSchema<T extends z.ZodType>(item: T) {
  return z
    .array(z.object({ index: z.int().min(0), items: z.array(item).min(1) }))
    .min(1)
    .refine((s) => s.every((shard, i) => shard.index === i), "shards must be indexed 0..n-1 in order");
}

/** The fields of a shard's done marker after `v` and the job's own id. */
export const shardDoneFields = {
  shard: z.int().min(0),
  images: z.int().min(0),
  failed: z.array(KeySegmentSchema),
  finishedAt: z.iso.datetime(),
  /** Id of the worker that ran the shard (ALIGNSAM_WORKER_ID), for tracing the fan-out. */
  worker: z.string().min(1).max(128).optional(),
};

/**
 * Cut the items into shards of at most `shardSize`, in the given order, so the API can write the
 * manifest and one message per shard.
 * @example planShards(["a", "b", "c"], 2) // [{ index: 0, items: ["a", "b"] }, { index: 1, items: ["c"] }]
 */
export function planShards<T>(items: readonly T[], shardSize: number): Array<{ index: number; items: T[] }> {
  if (!Number.isInteger(shardSize) || shardSize < 1)
    throw new RangeError("shardSize must be a positive integer");
  const shards: Array<{ index: number; items: T[] }> = [];
  for (let i = 0; i < items.length; i += shardSize) {
    shards.push({ index: shards.length, items: items.slice(i, i + shardSize) });
  }
  return shards;
}
