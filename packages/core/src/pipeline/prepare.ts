/**
 * Per-image work done once (paper: "E_I(x) once per image"): encode, find the content region,
 * normalise and pool the embedding, ask the vision-language prior for M_c (explicit branch) and
 * downsample the ground truth for the SRM. Training reuses the result across all epochs.
 */
import {
  type ContentRegion,
  type FeatureStats,
  type ImageFeatures,
  prepareImageFeatures,
} from "../agent/state.ts";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type { Embedding, PromptableSegmenter, VisionLanguagePrior } from "../models/ports.ts";
import { maskToFrame } from "../srm/loss.ts";
import type { SrmInput } from "../srm/srm.ts";
import type { Branch, TaskDefinition } from "../tasks/registry.ts";
import { inferContentRegion } from "./frame.ts";

export interface PreparedImage {
  readonly id: string;
  readonly image: RgbImage;
  readonly embedding: Embedding;
  readonly region: ContentRegion;
  readonly features: ImageFeatures;
  readonly groundTruth?: BinaryMask;
  /** Ground truth as foreground fractions over the embedding frame (h x w, the SRM's y'). */
  readonly target?: Float32Array;
  /** What the SRM reads: E' (HWC, h x w) and, explicit branch, M_c over the frame (ones with `prior: "none"`). */
  readonly srmInput: SrmInput;
}

/** What the explicit branch gets its M_c from. */
export type PriorChoice = VisionLanguagePrior | "none" | undefined;

/** Milliseconds spent per stage, accumulated by the caller. */
export interface PrepareTimings {
  decodeMs: number;
  priorMs: number;
}

/**
 * The texts to ask the prior about: per-image texts win (a VOC class name); a task text with the
 * "{class}" placeholder needs them.
 */
export function resolveTexts(task: TaskDefinition, texts?: readonly string[]): string[] {
  if (texts && texts.length > 0) return [...texts];
  if (task.texts.some((t) => t.includes("{class}"))) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `task "${task.name}" prompts the prior with "{class}": pass the image's class name(s) as texts`,
    );
  }
  return [...task.texts];
}

/** Refuses the explicit branch without a prior unless the caller opted into `prior: "none"`. */
export function requirePrior(branch: Branch, prior: PriorChoice, taskName: string): void {
  if (branch === "explicit" && prior === undefined) {
    throw new AlignSamError(
      "PRIOR_UNAVAILABLE",
      `task "${taskName}" uses the explicit SRM branch, which needs a vision-language prior (M_c); ` +
        `configure one (e.g. CLIP Surgery ONNX) or pass prior: "none" to run it with M_c = 1, recorded in the policy card`,
    );
  }
}

export async function prepareImage(args: {
  id: string;
  image: RgbImage;
  embedding: Embedding;
  mask?: BinaryMask;
  segmenter: PromptableSegmenter;
  stats: FeatureStats;
  stateSize: number;
  branch: Branch;
  prior: PriorChoice;
  texts: readonly string[];
  timings: PrepareTimings;
}): Promise<PreparedImage> {
  const { image, embedding, stateSize: r } = args;
  let region: ContentRegion = { fx: 1, fy: 1 };
  if (image.width !== image.height) {
    const t0 = performance.now();
    const probe = await args.segmenter.decode(embedding, {
      points: [{ x: image.width / 2, y: image.height / 2 }],
      labels: [1],
    });
    args.timings.decodeMs += performance.now() - t0;
    region = inferContentRegion(probe, image.width, image.height);
  }
  const features = prepareImageFeatures(embedding, args.stats, r, region);
  const { height: h, width: w } = embedding;
  let prior: Float32Array | undefined;
  if (args.branch === "explicit") {
    if (args.prior === undefined) requirePrior(args.branch, args.prior, "?");
    prior = new Float32Array(h * w).fill(args.prior === "none" || args.prior === undefined ? 1 : 0);
    if (args.prior !== "none" && args.prior !== undefined) {
      // M_c over the image, pasted into the frame's content region (outside it: 0, nothing there).
      const ch = Math.max(1, Math.round(region.fy * h));
      const cw = Math.max(1, Math.round(region.fx * w));
      const t0 = performance.now();
      const map = await args.prior.similarity(image, args.texts, { width: cw, height: ch });
      args.timings.priorMs += performance.now() - t0;
      if (map.width !== cw || map.height !== ch) {
        throw new AlignSamError(
          "MODEL_MISMATCH",
          `prior returned a ${map.width}x${map.height} map, asked for ${cw}x${ch}`,
        );
      }
      for (let y = 0; y < ch; y++) prior.set(map.data.subarray(y * cw, (y + 1) * cw), y * w);
    }
  }
  const srmInput: SrmInput = {
    features: features.normalizedHwc,
    ...(prior ? { prior } : {}),
  };
  return {
    id: args.id,
    image,
    embedding,
    region,
    features,
    groundTruth: args.mask,
    target: args.mask ? maskToFrame(args.mask, h, w, region) : undefined,
    srmInput,
  };
}
