/**
 * AlignSAM and its ablations (paper Tables 2, 3 and 5) as evaluation methods: the full agent, no RL
 * (random clicks), no SRM (all clicks positive), T = 1, the SRM's own map thresholded, and the
 * mIoU-versus-T sweep. They all go through the pipeline's segmentImage, so they measure exactly what
 * a user of the library gets.
 */
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask, ProbabilityMask } from "../mask/types.ts";
import type { PromptableSegmenter } from "../models/ports.ts";
import {
  type Ablation,
  inferContentRegion,
  probabilityFromLowRes,
  type SegmentResult,
  segmentImage,
} from "../pipeline/index.ts";
import type { PriorChoice } from "../pipeline/prepare.ts";
import { createNetworks, makePolicy, type Policy } from "../policy/policy.ts";
import type { EvaluationMethod, Prediction, SampleInfo } from "./evaluate.ts";

export interface AlignSamMethodOptions {
  readonly segmenter: PromptableSegmenter;
  readonly prior?: PriorChoice;
  /** T (default: the policy's training T). */
  readonly steps?: number;
  readonly ablation?: Ablation;
  /** Seeds the ablations' random choices. @default 0 */
  readonly seed?: number;
  readonly name?: string;
  readonly description?: string;
}

/** Texts for a class-prompted task come from the image's class names (VOC); others use the task's own. */
function textsFor(sample: SampleInfo): { texts?: readonly string[] } {
  return sample.classes && sample.classes.length > 0 ? { texts: sample.classes } : {};
}

/** Runs segmentImage with the method's settings for one image. */
function run(
  image: RgbImage,
  sample: SampleInfo,
  policy: Policy,
  o: AlignSamMethodOptions,
  extra: object = {},
) {
  return segmentImage(image, policy, {
    segmenter: o.segmenter,
    ...(o.prior !== undefined ? { prior: o.prior } : {}),
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ablation: o.ablation ?? "none",
    seed: o.seed ?? 0,
    greedy: true,
    ...textsFor(sample),
    ...extra,
  });
}

/**
 * AlignSAM (or one of its ablations) with a trained policy.
 * @example alignSamMethod(policy, { segmenter, ablation: "no-rl", name: "AlignSAM w/o RL" })
 */
export function alignSamMethod(policy: Policy, options: AlignSamMethodOptions): EvaluationMethod {
  const ablation = options.ablation ?? "none";
  return {
    name: options.name ?? (ablation === "none" ? "AlignSAM" : `AlignSAM (${ablation})`),
    description:
      options.description ??
      `PPO agent + SRM, T = ${options.steps ?? policy.card.hyperparameters.steps}, ablation ${ablation}`,
    async predict(image, sample): Promise<Prediction> {
      const result = await run(image, sample, policy, options);
      // Scored on the binary mask, like every other row: the adaptive thresholds of mean-F and E on
      // the soft map (min(2 mean, 1)) reject everything when the foreground covers most of the image.
      return { mask: result.mask };
    },
  };
}

/**
 * The policy with its actor-critic as training started it (same card seed, so the same starting
 * read-out) and the trained SRM: "AlignSAM, actor before PPO" isolates what the PPO updates add
 * over the network's initial click rule. Dispose it after use (disposes only the fresh net).
 */
export function withInitialActor(policy: Policy): Policy {
  const fresh = createNetworks(policy.card, policy.card.seed);
  fresh.srm.dispose();
  const initial = makePolicy(policy.card, fresh.net, policy.srm, policy.featureStats);
  return { ...initial, dispose: () => fresh.net.dispose() };
}

/** Bilinear resize of an R x R map (cell centres at +0.5) to the image size, clamped to [0, 1]. */
export function upsampleMap(
  map: { width: number; height: number; data: Float32Array },
  width: number,
  height: number,
): ProbabilityMask {
  const out = new Float32Array(width * height);
  const { width: mw, height: mh, data } = map;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(mh - 1, Math.max(0, ((y + 0.5) * mh) / height - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(mh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(mw - 1, Math.max(0, ((x + 0.5) * mw) / width - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(mw - 1, x0 + 1);
      const wx = fx - x0;
      const top = data[y0 * mw + x0] * (1 - wx) + data[y0 * mw + x1] * wx;
      const bottom = data[y1 * mw + x0] * (1 - wx) + data[y1 * mw + x1] * wx;
      out[y * width + x] = Math.min(1, Math.max(0, top * (1 - wy) + bottom * wy));
    }
  }
  return { width, height, data: out };
}

/** Foreground where the probability is at least `threshold`. */
export function thresholdMap(prob: ProbabilityMask, at = 0.5): BinaryMask {
  const data = new Uint8Array(prob.data.length);
  for (let i = 0; i < data.length; i++) data[i] = prob.data[i] >= at ? 1 : 0;
  return { width: prob.width, height: prob.height, data };
}

/**
 * The SRM's foreground map on the initial state (before any click), upsampled to the image and
 * thresholded at 0.5: how much of AlignSAM's answer the SRM alone already knows, without SAM.
 */
export function srmAloneMethod(policy: Policy, options: AlignSamMethodOptions): EvaluationMethod {
  return {
    name: options.name ?? "SRM map alone",
    description: options.description ?? "SRM y_r on the initial state, bilinear to image size, >= 0.5",
    async predict(image, sample) {
      const result = await run(image, sample, policy, { ...options, steps: 0, ablation: "none" });
      // Scored as the thresholded mask only: the brief of this baseline is "the map at 0.5", and the
      // adaptive thresholds of mean-F / E on the soft map would score a different prediction.
      return { mask: thresholdMap(upsampleMap(result.srmMap, image.width, image.height)) };
    },
  };
}

/**
 * One method per T in `steps` (paper Table 5), sharing one greedy episode of max(steps) clicks per
 * image: a greedy episode's first t clicks are exactly those of a T = t episode, so the mask after
 * step t is read from the kept per-step low-res logits (thresholded at probability 0.5) instead of
 * re-running. Evaluate them together (evaluateMany); the first one of an image pays for the episode.
 */
export function stepSweepMethods(
  policy: Policy,
  steps: readonly number[],
  options: AlignSamMethodOptions,
): EvaluationMethod[] {
  const longest = Math.max(...steps);
  const episodes = new WeakMap<
    RgbImage,
    Promise<{ result: SegmentResult; region: ReturnType<typeof inferContentRegion> }>
  >();
  const episodeOf = (image: RgbImage, sample: SampleInfo) => {
    let pending = episodes.get(image);
    if (!pending) {
      pending = (async () => {
        const result = await run(
          image,
          sample,
          policy,
          { ...options, steps: longest },
          { keepStepMasks: true },
        );
        // Where the image sits in the low-res frame (stretch or letterbox), from one decode.
        const embedding = await options.segmenter.encode(image);
        const probe = await options.segmenter.decode(embedding, {
          points: [{ x: image.width / 2, y: image.height / 2 }],
          labels: [1],
        });
        return { result, region: inferContentRegion(probe, image.width, image.height) };
      })();
      episodes.set(image, pending);
    }
    return pending;
  };
  return steps.map((t) => ({
    name: `${options.name ?? "AlignSAM"} T=${t}`,
    description: `mask after step ${t} of one greedy ${longest}-step episode (low-res logits, p >= 0.5)`,
    async predict(image, sample) {
      const { result, region } = await episodeOf(image, sample);
      const logits = result.stepMasks?.logits ?? [];
      // stepMasks[0] is the mask of the initial prompts P_0, stepMasks[t] the one after click t.
      const chosen = logits[Math.min(t, logits.length - 1)];
      const size = result.stepMasks?.size ?? 0;
      return { mask: thresholdMap(probabilityFromLowRes(chosen, size, region, image.width, image.height)) };
    },
  }));
}
