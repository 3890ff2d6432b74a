/**
 * Inference with a trained policy (paper Sec. 3.3 "evaluation", ALGORITHM.md "Inference"): encode
 * once, P_0 from the SRM's extremes, T greedy (or sampled) clicks labelled by the SRM, and SAM's
 * best candidate as the answer; the paper's ablations are options.
 */
import { gridSide } from "../agent/grid.ts";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask, ProbabilityMask } from "../mask/types.ts";
import type { PromptableSegmenter } from "../models/ports.ts";
import { assertCompatible } from "../policy/compat.ts";
import type { Policy } from "../policy/policy.ts";
import { initTf } from "../tf/backend.ts";
import { createRandom } from "../util/random.ts";
import { STEPS_RANGE } from "./defaults.ts";
import { ABLATIONS, type Ablation, runEpisode, type TrajectoryStep } from "./environment.ts";
import { bestCandidate, probabilityFromLowRes } from "./frame.ts";
import { type PreparedImage, type PriorChoice, prepareImage, resolveTexts } from "./prepare.ts";

export interface SegmentOptions {
  readonly segmenter: PromptableSegmenter;
  /** Explicit-branch prior; not needed when the policy was trained with prior "none". */
  readonly prior?: PriorChoice;
  /** T (default: the policy's training T), within STEPS_RANGE; 0 runs the initial prompts alone. */
  readonly steps?: number;
  /** argmax of pi (default) or a sample from it. */
  readonly greedy?: boolean;
  readonly ablation?: Ablation;
  /** Seeds sampling and the ablations' random choices (default 0). */
  readonly seed?: number;
  /** Texts for the prior when the task's texts use "{class}". */
  readonly texts?: readonly string[];
  /** Return every step's low-res logits. */
  readonly keepStepMasks?: boolean;
  /** Pass the previous step's low-res logits as the decoder's mask input (default: as trained). */
  readonly useMaskInput?: boolean;
}

export interface SegmentResult {
  readonly mask: BinaryMask;
  readonly probability: ProbabilityMask;
  /** y_r over the image's part of the embedding frame (64 x 64 for a square image), in [0, 1]; empty with the no-srm ablation. */
  readonly srmMap: { width: number; height: number; data: Float32Array };
  readonly trajectory: TrajectoryStep[];
  /** With keepStepMasks: each step's low-res logits and the SRM map (as srmMap) that labelled its clicks. */
  readonly stepMasks?: { size: number; logits: Float32Array[]; srmMaps: Float32Array[] };
  readonly timings: {
    encodeMs: number;
    decodeMs: number[];
    agentMs: number;
    srmMs: number;
    /** Building s_t and the agent's observation after each decode (part of the rest of totalMs). */
    stateMs: number;
    totalMs: number;
  };
}

/**
 * Segments one image with a policy.
 *
 * @example
 * const { mask, trajectory } = await segmentImage(image, policy, { segmenter });
 */
export async function segmentImage(
  image: RgbImage,
  policy: Policy,
  options: SegmentOptions,
): Promise<SegmentResult> {
  const started = performance.now();
  await initTf();
  const card = policy.card;
  const ablation = options.ablation ?? "none";
  if (!ABLATIONS.includes(ablation)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `unknown ablation "${ablation}"; expected one of: ${ABLATIONS.join(", ")}`,
      {
        valid: [...ABLATIONS],
      },
    );
  }
  const steps = options.steps ?? card.hyperparameters.steps;
  // STEPS_RANGE, plus its documented exception T = 0 (the initial prompts alone), capped by the
  // grid's cells: each click takes a cell no earlier click took.
  const maxSteps = Math.min(STEPS_RANGE.max, gridSide(card.grid) ** 2);
  if (!Number.isInteger(steps) || (steps !== 0 && steps < STEPS_RANGE.min) || steps > maxSteps) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `steps must be an integer from ${STEPS_RANGE.min} to ${maxSteps}, got ${steps}`,
      { steps, min: STEPS_RANGE.min, max: maxSteps },
    );
  }
  assertCompatible(card, options.segmenter.info);
  let prior = options.prior;
  if (card.branch === "explicit" && ablation !== "no-srm") {
    if (card.prior.kind === "none") prior = "none";
    else if (prior === undefined || prior === "none") {
      throw new AlignSamError(
        "PRIOR_UNAVAILABLE",
        `policy for task "${card.task.name}" was trained with the prior ${card.prior.kind === "model" ? card.prior.modelId : "?"}; ` +
          `pass that vision-language prior to segment with it`,
      );
    }
  }
  const t0 = performance.now();
  const embedding = await options.segmenter.encode(image);
  const encodeMs = performance.now() - t0;
  const prepTimings = { decodeMs: 0, priorMs: 0 };
  const prepared = await prepareImage({
    id: "input",
    image,
    embedding,
    segmenter: options.segmenter,
    stats: policy.featureStats,
    stateSize: card.architecture.stateSize,
    branch: ablation === "no-srm" ? "implicit" : card.branch,
    prior,
    texts: card.branch === "explicit" && ablation !== "no-srm" ? resolveTexts(card.task, options.texts) : [],
    timings: prepTimings,
  });
  const ep = await runEpisode(
    prepared,
    { segmenter: options.segmenter, net: policy.net, srm: policy.srm },
    {
      mode: "infer",
      grid: card.grid,
      steps,
      rng: createRandom(options.seed ?? 0),
      greedy: options.greedy ?? true,
      ablation,
      useMaskInput: options.useMaskInput ?? card.hyperparameters.useMaskInput,
      srmPrompt: card.hyperparameters.srmPrompt,
      keepStepMasks: options.keepStepMasks,
    },
  );
  const best = bestCandidate(ep.final);
  const srmMap = ep.srmMap
    ? contentOf(ep.srmMap, prepared)
    : { width: 0, height: 0, data: new Float32Array(0) };
  return {
    mask: ep.final.masks[best],
    probability: probabilityFromLowRes(
      ep.final.lowResLogits[best],
      ep.final.lowResSize,
      prepared.region,
      image.width,
      image.height,
    ),
    srmMap,
    trajectory: ep.trajectory,
    ...(options.keepStepMasks
      ? {
          stepMasks: {
            size: ep.final.lowResSize,
            logits: ep.stepMasks,
            // y_r depends on the image only: the same map labelled every step's clicks.
            srmMaps: srmMap.width > 0 ? ep.stepMasks.map(() => srmMap.data) : [],
          },
        }
      : {}),
    timings: {
      encodeMs,
      decodeMs:
        prepTimings.decodeMs > 0 ? [prepTimings.decodeMs, ...ep.timings.decodeMs] : ep.timings.decodeMs,
      agentMs: ep.timings.agentMs,
      srmMs: ep.timings.srmMs + prepTimings.priorMs,
      stateMs: ep.timings.stateMs,
      totalMs: performance.now() - started,
    },
  };
}

/** The part of a frame map (h x w over the embedding frame) that shows the image. */
function contentOf(
  map: Float32Array,
  img: PreparedImage,
): { width: number; height: number; data: Float32Array } {
  const { width: w, height: h } = img.features;
  const cw = Math.max(1, Math.round(img.region.fx * w));
  const ch = Math.max(1, Math.round(img.region.fy * h));
  if (cw === w && ch === h) return { width: w, height: h, data: map };
  const data = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) data.set(map.subarray(y * w, y * w + cw), y * cw);
  return { width: cw, height: ch, data };
}
