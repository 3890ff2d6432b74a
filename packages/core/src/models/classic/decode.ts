/**
 * The classic "mask decoder": clicks become fixed nodes of a random walker over the superpixel
 * graph, the priors of prior.ts fill in the rest. Three candidates, like SAM's multimask output,
 * are three hypotheses that differ in how far a click's look reaches: the default walker, a local
 * one (weak similarity prior: the connected region around the clicks) and a global one (strong
 * similarity prior: everything that looks like the clicks, connected or not). Each is scored by
 * (1 - normalised cut of its mask on the graph) x (soft IoU between its mask and its own
 * probabilities): a boundary-contrast term times a confidence term, SAM's iou_predictions' role.
 *
 * Low-res logits: 256 x 256 over the WHOLE image, stretched (no letterbox), the same frame as the
 * 64 x 64 embedding, so resizing one onto the other aligns. sigmoid(logit) is the candidate's
 * foreground probability, and its mask is where that exceeds 1/2 (up to the 1e-5 rounding of the
 * tabulated logit, at the threshold itself).
 */
import { AlignSamError } from "../../errors.ts";
import type { BinaryMask } from "../../mask/types.ts";
import type { DecodePrompt, DecodeResult, Embedding } from "../ports.ts";
import { blendProbabilitiesMany } from "./blend.ts";
import { CLASSIC_LOW_RES_SIZE, type ResolvedClassicOptions } from "./options.ts";
import { buildPrior, exemplarDistances } from "./prior.ts";
import { nearestIndex } from "./resample.ts";
import { type ClassicState, classicStateOf } from "./state.ts";
import { solveRandomWalker } from "./walker.ts";

/** How one candidate sets the priors. */
export interface CandidateSpec {
  /** Multiplier of the similarity prior's strength. */
  readonly similarity: number;
  /** Multiplier of the border guard: larger keeps fewer border nodes as implicit background. */
  readonly borderGuard: number;
}

/**
 * The three candidates, in output order: the default walker; a local one (weak similarity: the
 * connected region around the clicks); a global one (strong similarity). All use the same border
 * guard: a wider guard for the global one (tried: x2, x4) raised blur IoU@1 but made the score
 * pick a near-full-frame mask on saliency and coco, worse on the mean (bench, first 10 pairs).
 */
export const CANDIDATES: readonly CandidateSpec[] = [
  { similarity: 1, borderGuard: 1 },
  { similarity: 0.2, borderGuard: 1 },
  { similarity: 5, borderGuard: 1 },
];

const LOGIT_LIMIT = 12;
const EPS = 1 / (1 + Math.exp(LOGIT_LIMIT));

function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

/**
 * logit() tabulated at 2^16 steps of p (nearest entry; the error in p is below 1e-5): a decode
 * takes 3 x 65k logits, and Math.log was a tenth of its time.
 */
const LOGIT_STEPS = 65535;
const LOGIT_TABLE = Float32Array.from({ length: LOGIT_STEPS + 1 }, (_, k) => logit(k / LOGIT_STEPS));

function fastLogit(p: number): number {
  return LOGIT_TABLE[(Math.min(1, Math.max(0, p)) * LOGIT_STEPS + 0.5) | 0];
}

function validatePrompt(prompt: DecodePrompt): void {
  const { points, labels, maskInput } = prompt;
  if (points.length !== labels.length) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `a prompt needs one label per point: got ${points.length} points and ${labels.length} labels`,
    );
  }
  for (let k = 0; k < points.length; k++) {
    if (!Number.isFinite(points[k].x) || !Number.isFinite(points[k].y)) {
      throw new AlignSamError("INVALID_ARGUMENT", `point ${k} has a non-finite coordinate`);
    }
    if (labels[k] !== 0 && labels[k] !== 1) {
      throw new AlignSamError("INVALID_ARGUMENT", `label ${k} is ${labels[k]}; expected one of: 0, 1`);
    }
  }
  const size = CLASSIC_LOW_RES_SIZE;
  if (maskInput && maskInput.length !== size * size) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `maskInput has ${maskInput.length} values; expected ${size}x${size} = ${size * size} low-res logits`,
    );
  }
}

/** Node under an original-image point (points outside the image are clamped to its edge). */
function nodeAt(state: ClassicState, embedding: Embedding, x: number, y: number): number {
  const wx = Math.min(
    state.workWidth - 1,
    Math.max(0, Math.floor((x * state.workWidth) / embedding.imageWidth)),
  );
  const wy = Math.min(
    state.workHeight - 1,
    Math.max(0, Math.floor((y * state.workHeight) / embedding.imageHeight)),
  );
  return state.labels[wy * state.workWidth + wx];
}

/** Mean sigmoid(maskInput) per node; NaN for nodes no low-res cell falls in. */
function maskPriorOf(state: ClassicState, maskInput: Float32Array): Float32Array {
  const sum = new Float32Array(state.graph.count);
  const cnt = new Float32Array(state.graph.count);
  const map = state.lowResPixels;
  for (let c = 0; c < map.length; c++) {
    const node = state.labels[map[c]];
    sum[node] += 1 / (1 + Math.exp(-maskInput[c]));
    cnt[node] += 1;
  }
  return sum.map((s, i) => (cnt[i] > 0 ? s / cnt[i] : Number.NaN));
}

function emptyResult(embedding: Embedding): DecodeResult {
  const size = CLASSIC_LOW_RES_SIZE;
  const w = embedding.imageWidth;
  const h = embedding.imageHeight;
  return {
    masks: CANDIDATES.map(() => ({ width: w, height: h, data: new Uint8Array(w * h) })),
    scores: CANDIDATES.map(() => 0),
    lowResLogits: CANDIDATES.map(() => new Float32Array(size * size).fill(-LOGIT_LIMIT)),
    lowResSize: size,
  };
}

/** Soft IoU between the mask p > 1/2 and the probabilities p (working pixels). */
function softIou(p: Float32Array): number {
  let inter = 0;
  let union = 0;
  // Conditional expressions, not an if: the comparison is unpredictable, and adding 0 is exact.
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    const inside = v > 0.5;
    inter += inside ? v : 0;
    union += inside ? 1 : v;
  }
  return union > 0 ? inter / union : 0;
}

/**
 * Quality of a node mask as 1 - normalised cut (Shi & Malik): a good segment is one whose border
 * crosses weak conductances relative to the volume on both sides. Unlike a confidence measure it
 * does not favour a mask for being large or certain.
 */
function cutQuality(state: ClassicState, nodeP: Float32Array): number {
  const { graph, edgeWeights } = state;
  let cut = 0;
  let volIn = 0;
  let volOut = 0;
  for (let i = 0; i < graph.count; i++) {
    const inside = nodeP[i] > 0.5;
    for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) {
      const w = edgeWeights[e];
      if (inside) volIn += w;
      else volOut += w;
      if (inside !== nodeP[graph.neighbours[e]] > 0.5) cut += w;
    }
  }
  // Each cut edge was seen from both ends.
  cut /= 2;
  if (volIn === 0 || volOut === 0) return 0;
  return Math.max(0, 1 - 0.5 * (cut / volIn + cut / volOut));
}

/** Working-pixel probabilities of the candidates: blended when refinement is on, else per node. */
function pixelProbabilities(state: ClassicState, nodePs: readonly Float32Array[]): Float32Array[] {
  if (state.blend) return blendProbabilitiesMany(state.blend, nodePs);
  return nodePs.map((nodeP) => {
    const out = new Float32Array(state.labels.length);
    for (let p = 0; p < out.length; p++) out[p] = nodeP[state.labels[p]];
    return out;
  });
}

/**
 * A full-resolution mask painted on first read of `data`: training reads only the low-res logits
 * of most decodes, and painting three megapixel masks would dominate a decode's cost.
 */
function lazyMask(state: ClassicState, embedding: Embedding, pixelP: Float32Array): BinaryMask {
  const w = embedding.imageWidth;
  const h = embedding.imageHeight;
  let data: Uint8Array | undefined;
  const paint = (): Uint8Array => {
    const out = new Uint8Array(w * h);
    const xs = nearestIndex(w, state.workWidth);
    const ys = nearestIndex(h, state.workHeight);
    for (let y = 0; y < h; y++) {
      const row = ys[y] * state.workWidth;
      const o = y * w;
      for (let x = 0; x < w; x++) out[o + x] = pixelP[row + xs[x]] > 0.5 ? 1 : 0;
    }
    return out;
  };
  return {
    width: w,
    height: h,
    get data(): Uint8Array {
      data ??= paint();
      return data;
    },
  };
}

/**
 * A real array whose elements are computed on first read (then kept): callers use the best
 * candidate's logits only, and tabulating 65k logits per candidate was a third of a decode.
 * Plain indexing, iteration, JSON and structured clone all read through the getters.
 */
function lazyElements<T>(length: number, make: (k: number) => T): T[] {
  const out: T[] = [];
  for (let k = 0; k < length; k++) {
    let value: T | undefined;
    Object.defineProperty(out, k, {
      enumerable: true,
      get: () => {
        value ??= make(k);
        return value;
      },
    });
  }
  return out;
}

function lowResLogitsOf(state: ClassicState, pixelP: Float32Array): Float32Array {
  const map = state.lowResPixels;
  const out = new Float32Array(map.length);
  for (let c = 0; c < map.length; c++) out[c] = fastLogit(pixelP[map[c]]);
  return out;
}

/**
 * Foreground probability per superpixel node for each candidate (exposed for tests and
 * benchmarks); undefined when the prompt has neither points nor a mask.
 */
export function candidateProbabilities(
  embedding: Embedding,
  prompt: DecodePrompt,
  options: ResolvedClassicOptions,
): Float32Array[] | undefined {
  validatePrompt(prompt);
  const state = classicStateOf(embedding);
  if (prompt.points.length === 0 && !prompt.maskInput) return undefined;
  const seeds = new Int8Array(state.graph.count).fill(-1);
  prompt.points.forEach((pt, k) => {
    seeds[nodeAt(state, embedding, pt.x, pt.y)] = prompt.labels[k];
  });
  const positive: number[] = [];
  const negative: number[] = [];
  seeds.forEach((s, i) => {
    if (s === 1) positive.push(i);
    else if (s === 0) negative.push(i);
  });
  const maskPrior = prompt.maskInput ? maskPriorOf(state, prompt.maskInput) : undefined;
  const base = exemplarDistances(state, options, positive, negative);
  const byGuard = new Map([[1, base]]);
  const { graph, edgeWeights } = state;
  let previous: Float32Array | undefined;
  return CANDIDATES.map(({ similarity, borderGuard }) => {
    let distances = byGuard.get(borderGuard);
    if (!distances) {
      distances = exemplarDistances(state, options, positive, negative, borderGuard, base.toPositive);
      byGuard.set(borderGuard, distances);
    }
    const prior = buildPrior(state, options, distances, {
      positive,
      negative,
      maskPrior,
      similarityScale: similarity,
    });
    const { probability } = solveRandomWalker(
      {
        count: graph.count,
        offsets: graph.offsets,
        neighbours: graph.neighbours,
        weights: edgeWeights,
        seeds,
        priorWeight: prior.weight,
        priorValue: prior.value,
      },
      { initial: previous },
    );
    previous = probability;
    return probability;
  });
}

/** Decode one prompt into three candidate masks, their scores and low-res logits. */
export function decodeClassic(
  embedding: Embedding,
  prompt: DecodePrompt,
  options: ResolvedClassicOptions,
): DecodeResult {
  const candidates = candidateProbabilities(embedding, prompt, options);
  if (!candidates) return emptyResult(embedding);
  const state = classicStateOf(embedding);
  const masks: BinaryMask[] = [];
  const scores: number[] = [];
  const pixelPs = pixelProbabilities(state, candidates);
  for (const [k, nodeP] of candidates.entries()) {
    const pixelP = pixelPs[k];
    masks.push(lazyMask(state, embedding, pixelP));
    scores.push(cutQuality(state, nodeP) * softIou(pixelP));
  }
  const lowResLogits = lazyElements(pixelPs.length, (k) => lowResLogitsOf(state, pixelPs[k]));
  return { masks, scores, lowResLogits, lowResSize: CLASSIC_LOW_RES_SIZE };
}
