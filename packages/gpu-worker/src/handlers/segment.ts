/**
 * `segment`: one image through the task's policy; writes the outputs the message asks for (default
 * all but polygons.json: mask.png, probability.png, rle.json, trajectory.json, overlay.png, metrics.json,
 * steps.json) under the job's results/ prefix, then the succeeded status (last). Deterministic keys and greedy (or seeded) actions make a redelivered
 * message rewrite the same objects.
 */

import { DEFAULT_POLYGON_TOLERANCE, maskToPolygons } from "@alignsam/core/export";
import {
  AlignSamError,
  DEFAULT_SEGMENT_OUTPUTS,
  inputKey,
  jobResultKey,
  SEGMENT_OUTPUT_FILES,
  SEGMENT_OUTPUTS,
  type SegmentMessage,
  type SegmentOutput,
} from "@alignsam/core/light";
import {
  type BinaryMask,
  decodeBinaryMaskPng,
  encodeMaskPng,
  encodeProbabilityPng,
  encodeRle,
  renderOverlay,
} from "@alignsam/core/mask";
import type { Delivery, HandlerContext } from "../context.ts";
import { type JobRef, startJob, succeedJob } from "../job-status.ts";
import { resolvePolicy, resolveTenantTask, servedBy } from "../policy-store.ts";
import { acceptedAt, recordUsage, secondsSince } from "../usage.ts";
import {
  decodeForJob,
  labelsAtWorkingSize,
  maskAtOriginalSize,
  pngAtOriginalSize,
  trajectoryAtOriginalSize,
} from "../working-image.ts";
import { type HandlerResult, holdForFaultInjection } from "./result.ts";
import { renderStepsDocument } from "./steps-output.ts";

export async function handleSegment(
  ctx: HandlerContext,
  msg: SegmentMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const ref: JobRef = { tenant: msg.tenant, jobId: msg.jobId, kind: "segment", callbackUrl: msg.callbackUrl };
  const status = await startJob(ctx, ref, delivery);
  if (!status) return { outcome: "skipped" };
  await holdForFaultInjection(ctx, delivery);
  const started = Date.now();

  const bytes = await ctx.storage.getBytes(inputKey(msg.tenant, msg.uploadId));
  if (!bytes)
    throw new AlignSamError("IMAGE_EMPTY", `upload "${msg.uploadId}" was not found; upload the image first`);
  // At most the working size (../working-image.ts): the model runs there, outputs that promise the
  // input's size are scaled back to it, metrics are taken there.
  const working = await decodeForJob(bytes, ctx.imageLimits);
  const { image, originalWidth, originalHeight } = working;
  let groundTruth: Awaited<ReturnType<typeof decodeBinaryMaskPng>> | undefined;
  if (msg.groundTruthUploadId) {
    const gtBytes = await ctx.storage.getBytes(inputKey(msg.tenant, msg.groundTruthUploadId));
    if (!gtBytes)
      throw new AlignSamError(
        "MASK_DECODE",
        `ground-truth upload "${msg.groundTruthUploadId}" was not found`,
      );
    groundTruth = await decodeBinaryMaskPng(gtBytes, { maxPixels: ctx.imageLimits?.maxPixels });
    if (groundTruth.width !== originalWidth || groundTruth.height !== originalHeight) {
      throw new AlignSamError(
        "MASK_SHAPE",
        `ground truth is ${groundTruth.width}x${groundTruth.height} but the image is ${originalWidth}x${originalHeight}`,
      );
    }
  }
  // The tenant's named or promoted version, else the bundled policy (null).
  const policy = await resolvePolicy(ctx.storage, msg.task, msg.policyVersion, msg.tenant);
  const task = await resolveTenantTask(ctx.storage, ctx.tasks, msg.tenant, msg.task, policy);
  const wanted = new Set<SegmentOutput>(msg.outputs ?? DEFAULT_SEGMENT_OUTPUTS);
  const modelStart = performance.now();
  const outcome = await ctx.engine.segment({
    task,
    image,
    policy,
    className: msg.className,
    steps: msg.options.steps,
    greedy: msg.options.greedy,
    seed: msg.options.seed,
    keepSteps: wanted.has("steps"),
  });
  const modelSeconds = secondsSince(modelStart);

  const metrics = groundTruth
    ? ctx.engine.scoreImage(task, outcome, labelsAtWorkingSize(groundTruth, working))
    : undefined;
  let fullMask: BinaryMask | undefined; // W x H bytes: made only for the outputs that need it
  const mask = () => (fullMask ??= maskAtOriginalSize(outcome.mask, working));
  const trajectory = trajectoryAtOriginalSize(outcome.trajectory, working);
  let foreground = 0;
  for (const v of outcome.mask.data) foreground += v;
  // Each output is rendered only when asked for (the overlay and the PNGs cost real time).
  const render: Record<SegmentOutput, () => Promise<[Uint8Array | string, string]>> = {
    mask: async () => [await encodeMaskPng(mask()), "image/png"],
    probability: async () => [
      await pngAtOriginalSize(await encodeProbabilityPng(outcome.probability), working),
      "image/png",
    ],
    rle: async () => [JSON.stringify(encodeRle(mask())), "application/json"],
    // COCO polygons of the same full-size mask as rle.json, in the input's pixel coordinates.
    polygons: async () => [
      JSON.stringify({
        v: 1,
        width: originalWidth,
        height: originalHeight,
        tolerance: DEFAULT_POLYGON_TOLERANCE,
        polygons: maskToPolygons(mask(), { tolerance: DEFAULT_POLYGON_TOLERANCE }),
      }),
      "application/json",
    ],
    trajectory: async () => [JSON.stringify({ v: 1, steps: trajectory }), "application/json"],
    overlay: async () => [
      // A preview, drawn at the working size: the input's full-size pixels are never decoded.
      await renderOverlay(image, outcome.mask, outcome.trajectory),
      "image/png",
    ],
    metrics: async () => [
      JSON.stringify({
        v: 1,
        task: task.name,
        engine: ctx.engine.name,
        modelId: outcome.modelId,
        policyVersion: outcome.policyVersion,
        method: outcome.method,
        clicks: trajectory.length,
        width: originalWidth,
        height: originalHeight,
        foregroundFraction: foreground / outcome.mask.data.length,
        metrics: metrics ?? null,
      }),
      "application/json",
    ],
    // Step masks cover the whole image at any resolution; the document names the input's size.
    steps: async () => [
      JSON.stringify({
        ...(await renderStepsDocument(outcome)),
        width: originalWidth,
        height: originalHeight,
      }),
      "application/json",
    ],
  };
  // Rendered and stored concurrently: sharp encodes the PNGs on libuv's threads while the main
  // thread builds the JSON outputs, and the S3 puts overlap. A failed put fails the job; its
  // redelivery rewrites the same keys.
  const stored = await Promise.all(
    SEGMENT_OUTPUTS.filter((output) => wanted.has(output)).map(async (output) => {
      const name = SEGMENT_OUTPUT_FILES[output];
      const [body, type] = await render[output]();
      const key = jobResultKey(msg.tenant, msg.jobId, name);
      if (typeof body === "string") await ctx.storage.putText(key, body, type);
      else await ctx.storage.putBytes(key, body, type);
      return [name, key] as const;
    }),
  );
  const resultKeys: Record<string, string> = Object.fromEntries(stored);
  // Metered before the terminal status: a job that reads succeeded always has its record.
  await recordUsage(ctx, {
    tenant: msg.tenant,
    jobId: msg.jobId,
    task: msg.task,
    acceptedAt: acceptedAt(msg, status, ctx.now()),
    unit: { kind: "segment" },
    images: 1,
    steps: outcome.trajectory.length,
    modelSeconds,
  });
  const done = await succeedJob(ctx, { ...status, policy: servedBy(task.name, policy) }, resultKeys, {
    method: outcome.method,
    policyVersion: outcome.policyVersion,
    clicks: outcome.trajectory.length,
    durationMs: Date.now() - started,
    ...(metrics ? { metrics } : {}),
  });
  return { outcome: "succeeded", status: done };
}
