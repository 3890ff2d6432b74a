/**
 * The loop of a sharded job's shard, shared by `batch-shard` and `eval-shard`: refuse a shard the
 * manifest lacks, do nothing once the job is terminal, and unless this shard's done marker exists:
 * move the job to running (first shard only), resolve the policy and task as a segment job of the
 * tenant would, run each item not finished by an earlier delivery (a data error condemns the item,
 * not the job: it gets a failure document and the shard goes on), then write the done marker. Last,
 * list the markers: the shard that sees all of them enqueues the reduce. Two shards finishing
 * together may both enqueue it; the reduces are idempotent. A redelivered finished shard only
 * repeats the check.
 */

import type { RgbImage } from "@alignsam/core/image";
import {
  AlignSamError,
  isAlignSamError,
  isTerminal,
  type JobMessageInput,
  type TaskDefinition,
  type UsageUnit,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";
import type { SegmentOutcome, StoredPolicy } from "../engine.ts";
import { type JobRef, readStatus, startJob } from "../job-status.ts";
import { resolvePolicy, resolveTenantTask } from "../policy-store.ts";
import { acceptedAt, recordUsage, secondsSince } from "../usage.ts";
import { type HandlerResult, holdForFaultInjection } from "./result.ts";

/** Error codes that condemn one image, not its batch or evaluation (a bad input file). */
export const IMAGE_DATA_ERRORS: readonly string[] = [
  "IMAGE_EMPTY",
  "IMAGE_DECODE",
  "IMAGE_UNSUPPORTED_FORMAT",
  "IMAGE_TOO_LARGE",
];

/** What the shard loop reads of a sharded job's manifest (a batch's or an evaluation's). */
export interface ShardedManifest<Item> {
  readonly jobId: string;
  readonly task: string;
  readonly policyVersion?: string;
  readonly className?: string;
  readonly shards: readonly { readonly items: readonly Item[] }[];
}

/** What it reads of the shard message: whose job, which shard, and when it was accepted. */
export interface ShardMessage {
  readonly tenant: string;
  readonly shard: number;
  /** The usage records' acceptedAt (./usage.ts). */
  readonly submittedAt?: string;
}

/** A sharded job as its shard message and manifest describe it. */
export interface ShardedJob<Item extends { readonly id: string }> {
  /** The job in messages, e.g. `evaluation "e1"`. */
  readonly label: string;
  readonly manifest: ShardedManifest<Item>;
  readonly msg: ShardMessage;
  readonly ref: JobRef;
  /** What the running status's progress counts to. */
  readonly progressTotal: number;
  /** This shard's done marker, and the prefix under which every shard's marker lies. */
  readonly doneKey: string;
  readonly shardsPrefix: string;
  /** The job's id in the done marker and the log, e.g. `{ evalId: "e1" }`. */
  readonly id: Readonly<Record<string, string>>;
  /** Error codes that condemn one item, not the job. */
  readonly dataErrors: ReadonlySet<string>;
  /** The reduce, sent by the shard that sees every done marker. */
  readonly reduce: JobMessageInput;
}

/** What the items of a shard share once the shard runs. */
export interface ShardContext {
  readonly policy: StoredPolicy | null;
  readonly task: TaskDefinition;
  /**
   * Segments an image as a segment job would (greedy, seed 0, the job's class), with the seconds
   * the model took.
   */
  segment(image: RgbImage): Promise<{ outcome: SegmentOutcome; modelSeconds: number }>;
  /** Meters one item (before the document that marks it done: a failed item is not billed). */
  meter(unit: UsageUnit, steps: number, modelSeconds: number): Promise<void>;
}

/** The job's own work on its items. */
export interface ShardItems<Item> {
  /** How an earlier delivery left the item: "ok", "failed", or undefined when it is still to do. */
  previous(item: Item): Promise<"ok" | "failed" | undefined>;
  /** Does one item and writes its document. `started` is its Date.now() at the start. */
  run(item: Item, started: number): Promise<void>;
  /** Writes the failure document of an item a data error condemned. */
  fail(item: Item, error: AlignSamError, started: number): Promise<void>;
}

/**
 * Runs one shard of `job`; `items` is called once the policy and task are resolved.
 * @example return runShard(ctx, delivery, job, async (shard) => ({ previous, run, fail }));
 */
export async function runShard<Item extends { readonly id: string }>(
  ctx: HandlerContext,
  delivery: Delivery,
  job: ShardedJob<Item>,
  items: (shard: ShardContext) => Promise<ShardItems<Item>>,
): Promise<HandlerResult> {
  const { manifest, msg } = job;
  const shard = manifest.shards[msg.shard];
  if (!shard) {
    throw new AlignSamError(
      "JOB_INVALID",
      `${job.label} has ${manifest.shards.length} shards, not ${msg.shard + 1}`,
    );
  }
  const status = await readStatus(ctx, job.ref);
  if (status && isTerminal(status.state)) return { outcome: "skipped" };

  if ((await ctx.storage.getBytes(job.doneKey)) === undefined) {
    // Only the first shard moves the job to running; later shards leave the status alone, so no
    // stale shard write can land after the reduce's terminal one (the API counts the progress).
    if (!status || status.state === "queued") await startJob(ctx, job.ref, delivery, job.progressTotal);
    await holdForFaultInjection(ctx, delivery);
    // As a segment job of the same tenant: its named or promoted version, else the bundled policy;
    // its own task definition (tenants/<t>/tasks/) when the task is not built in.
    const policy = await resolvePolicy(ctx.storage, manifest.task, manifest.policyVersion, msg.tenant);
    const task = await resolveTenantTask(ctx.storage, ctx.tasks, msg.tenant, manifest.task, policy);
    const accepted = acceptedAt(msg, status, ctx.now());
    const work = await items({
      policy,
      task,
      async segment(image) {
        const modelStart = performance.now();
        const outcome = await ctx.engine.segment({
          task,
          image,
          policy,
          className: manifest.className,
          greedy: true,
          seed: 0,
        });
        return { outcome, modelSeconds: secondsSince(modelStart) };
      },
      async meter(unit, steps, modelSeconds) {
        await recordUsage(ctx, {
          tenant: msg.tenant,
          jobId: manifest.jobId,
          task: manifest.task,
          acceptedAt: accepted,
          unit,
          images: 1,
          steps,
          modelSeconds,
        });
      },
    });
    const failed: string[] = [];
    for (const item of shard.items) {
      const previous = await work.previous(item);
      if (previous) {
        if (previous === "failed") failed.push(item.id);
        continue;
      }
      const started = Date.now();
      try {
        await work.run(item, started);
      } catch (e) {
        // A bad image is the data's fault, not the worker's: record it and go on. Anything else
        // (no policy, an unknown task, S3 down) fails or retries the shard as a whole.
        if (!isAlignSamError(e) || !job.dataErrors.has(e.code)) throw e;
        failed.push(item.id);
        await work.fail(item, e, started);
      }
    }
    await ctx.storage.putJson(job.doneKey, {
      v: 1,
      ...job.id,
      shard: msg.shard,
      images: shard.items.length,
      failed,
      finishedAt: ctx.now().toISOString(),
      ...(ctx.workerId ? { worker: ctx.workerId } : {}),
    });
  }

  const markers = (await ctx.storage.list(job.shardsPrefix)).filter((k) => k.endsWith("/done.json"));
  if (markers.length >= manifest.shards.length) {
    ctx.log.info("last shard done: enqueueing reduce", { ...job.id, shards: markers.length });
    await ctx.enqueue(job.reduce);
  }
  return { outcome: "succeeded" };
}
