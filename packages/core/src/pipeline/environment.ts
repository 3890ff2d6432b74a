/**
 * One prompting episode (paper Algorithm 1 and Sec. 3.3 "evaluation"): initial prompts P_0 from the
 * SRM map, then T steps of choose a cell -> place and label the click from the dense SRM map ->
 * decode with all points -> reward -> next state. The same loop serves training (sampled actions,
 * rewards, honest out-of-fold SRM maps) and inference (greedy or sampled actions), and the paper's
 * ablations (no RL, no SRM, any T). The SRM itself is trained before the agent (srm/fit.ts).
 */
import {
  availableCells,
  cellCenter,
  cellRowCol,
  type GridSpec,
  gridSide,
  pixelToCell,
} from "../agent/grid.ts";
import type { ActorCritic } from "../agent/policy-net.ts";
import type { Transition } from "../agent/ppo.ts";
import { clickReward, iouGainReward, type RewardKind } from "../agent/reward.ts";
import {
  appendChannels,
  buildState,
  maskFromLowRes,
  poolMap,
  type SigmoidCache,
  span,
  stateChannels,
} from "../agent/state.ts";
import type { DecodeResult, Point, PointLabel, PromptableSegmenter } from "../models/ports.ts";
import type { Srm } from "../srm/srm.ts";
import { type Random, sampleIndex } from "../util/random.ts";
import { bestCandidate } from "./frame.ts";
import type { PreparedImage } from "./prepare.ts";

export type Ablation = "none" | "no-rl" | "no-srm";
export const ABLATIONS: readonly Ablation[] = ["none", "no-rl", "no-srm"];

export interface EpisodeOptions {
  readonly mode: "train" | "infer";
  readonly grid: GridSpec;
  readonly steps: number;
  readonly rng: Random;
  /** Inference: argmax of pi instead of a sample. */
  readonly greedy: boolean;
  readonly ablation: Ablation;
  /** Pass the previous best low-res logits as the decoder's mask input. */
  readonly useMaskInput: boolean;
  /** Give the decoder y_r as its dense mask prompt (when the previous logits do not take its place). */
  readonly srmPrompt?: boolean;
  /** Training reward (trainPolicy passes its setting; see TRAINING_DEFAULTS). */
  readonly reward?: RewardKind;
  /** y_r to use instead of the SRM's own prediction (training: the out-of-fold map of this image). */
  readonly srmMap?: Float32Array;
  /** Keep every step's low-res logits (inference output). */
  readonly keepStepMasks?: boolean;
}

export interface TrajectoryStep {
  /** 0 for the two initial prompts, then 1..T. */
  readonly step: number;
  /** Grid cell of an action; -1 for initial prompts not on the grid. */
  readonly cell: number;
  readonly point: Point;
  readonly label: PointLabel;
  /** SRM foreground probability at the click (or 1 when no SRM decided). */
  readonly score: number;
  readonly reward?: number;
}

export interface EpisodeTimings {
  decodeMs: number[];
  agentMs: number;
  srmMs: number;
  stateMs: number;
}

export interface EpisodeResult {
  readonly trajectory: TrajectoryStep[];
  readonly transitions: Transition[];
  /** V(s_{T+1}) for PPO's bootstrap (training only, else 0). */
  readonly bootstrap: number;
  readonly final: DecodeResult;
  /** y_r over the embedding frame (h x w), undefined when the SRM is ablated. */
  readonly srmMap?: Float32Array;
  readonly stepMasks: Float32Array[];
  /** Mean reward per click (training). */
  readonly meanReward: number;
  readonly timings: EpisodeTimings;
}

type Deps = { segmenter: PromptableSegmenter; net: ActorCritic; srm: Srm };

/** IoU of two same-size 0/1 masks (1 when both are empty): one tight pass, run after every click. */
function binaryIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] & b[i];
    union += a[i] | b[i];
  }
  return union === 0 ? 1 : inter / union;
}

function argExtreme(values: ArrayLike<number>, sign: 1 | -1): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (sign * values[i] > sign * values[best]) best = i;
  return best;
}

/**
 * Where the image sits in the embedding frame (h x w positions): its top-left cw x ch positions
 * (all of them for a stretch, less for a letterbox). Converts frame positions to image points.
 */
class Frame {
  private readonly img: PreparedImage;
  readonly w: number;
  readonly cw: number;
  readonly ch: number;
  constructor(img: PreparedImage) {
    this.img = img;
    this.w = img.features.width;
    this.cw = Math.max(1, Math.round(img.region.fx * img.features.width));
    this.ch = Math.max(1, Math.round(img.region.fy * img.features.height));
  }

  /** Image point at the centre of frame position p. */
  point(p: number): Point {
    const { width, height } = this.img.image;
    return {
      x: (((p % this.w) + 0.5) * width) / this.cw,
      y: ((Math.floor(p / this.w) + 0.5) * height) / this.ch,
    };
  }

  /** Frame positions inside the content region (P_0 must not land in the letterbox padding). */
  content(): number[] {
    const out: number[] = [];
    for (let y = 0; y < this.ch; y++) for (let x = 0; x < this.cw; x++) out.push(y * this.w + x);
    return out;
  }

  /** Frame positions covered by grid cell `cell` of a g x g grid over the image. */
  cell(grid: GridSpec, cell: number): number[] {
    const g = gridSide(grid);
    const { row, col } = cellRowCol(grid, cell);
    const [y0, y1] = span(row, g, this.ch);
    const [x0, x1] = span(col, g, this.cw);
    const out: number[] = [];
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out.push(y * this.w + x);
    return out;
  }
}

/**
 * How much a click at a position can fix: where the SRM and the mask fall on opposite sides of 0.5,
 * |y_r - M| weighted by the SRM's confidence 2|y_r - 1/2|; else 0. A plain |y_r - M| also chases
 * positions where the SRM is unsure, whose labels are coin flips (saliency, 30 test images, same
 * SRM: rule 47.0 vs 47.3 mIoU, trained agent 48.2 vs 50.7; on generated images the plain rule lost
 * to random cells).
 */
export function fixableGap(yr: number, m: number): number {
  return yr > 0.5 === m > 0.5 ? 0 : Math.abs(yr - m) * 2 * Math.abs(yr - 0.5);
}

/** The click inside a cell: the most fixable position, else the SRM's most confident one. */
function placeInCell(positions: readonly number[], yr: Float32Array, mask: Float32Array): number {
  let best = positions[0];
  let bestScore = -1;
  for (const p of positions) {
    // The confidence term (< 0.5 / 100) only breaks ties between positions with nothing to fix.
    const score = fixableGap(yr[p], mask[p]) + Math.abs(yr[p] - 0.5) / 100;
    if (score > bestScore) {
      bestScore = score;
      best = p;
    }
  }
  return best;
}

/**
 * The agent's observation: s_t, plus (for a "state+srm" net) pooled y_r and the pooled fixable gap.
 * `pooledYr` is pool(y_r), the same at every step of an episode: the caller pools it once.
 */
function agentObservation(
  img: PreparedImage,
  state: Float32Array,
  yr: Float32Array,
  pooledYr: Float32Array,
  mask: Float32Array | undefined,
): Float32Array {
  const n = img.features.height * img.features.width;
  const gap = new Float32Array(n);
  for (let p = 0; p < n; p++) gap[p] = fixableGap(yr[p], mask ? mask[p] : 1);
  return appendChannels(state, [pooledYr, poolMap(img.features, gap)]);
}

type Prompt = Omit<TrajectoryStep, "step" | "reward">;

/** P_0: the SRM's most and least confident positions; without the SRM two random cells, positive. */
function initialPrompts(
  img: PreparedImage,
  frame: Frame,
  yr: Float32Array | undefined,
  o: EpisodeOptions,
): Prompt[] {
  if (yr) {
    const content = frame.content();
    const values = content.map((p) => yr[p]);
    const hi = content[argExtreme(values, 1)];
    const lo = content[argExtreme(values, -1)];
    const out: Prompt[] = [{ cell: -1, point: frame.point(hi), label: 1, score: yr[hi] }];
    if (lo !== hi) out.push({ cell: -1, point: frame.point(lo), label: 0, score: yr[lo] });
    return out;
  }
  const n = gridSide(o.grid) ** 2;
  const a = o.rng.int(n);
  const b = (a + 1 + o.rng.int(n - 1)) % n;
  return [a, b].map((c) => ({
    cell: c,
    point: cellCenter(o.grid, c, img.image.width, img.image.height),
    label: 1,
    score: 1,
  }));
}

/** The next cell: a uniform pick (no-RL ablation), pi's argmax (greedy inference) or a sample of pi. */
function chooseCell(
  net: ActorCritic,
  input: Float32Array,
  available: Uint8Array,
  o: EpisodeOptions,
): { action: number; logProb: number; value: number } {
  if (o.ablation === "no-rl") return { action: sampleIndex(available, o.rng), logProb: 0, value: 0 };
  const ev = net.evaluate(input, available);
  let action = o.mode === "infer" && o.greedy ? argExtreme(ev.probs, 1) : sampleIndex(ev.probs, o.rng);
  if (action < 0 || available[action] === 0) action = sampleIndex(available, o.rng);
  return { action, logProb: Math.log(Math.max(ev.probs[action], 1e-12)), value: ev.value };
}

export async function runEpisode(img: PreparedImage, deps: Deps, o: EpisodeOptions): Promise<EpisodeResult> {
  const n = gridSide(o.grid) ** 2;
  const useSrm = o.ablation !== "no-srm";
  const frame = new Frame(img);
  const timings: EpisodeTimings = { decodeMs: [], agentMs: 0, srmMs: 0, stateMs: 0 };
  const trajectory: TrajectoryStep[] = [];
  const transitions: Transition[] = [];
  const points: Point[] = [];
  const labels: PointLabel[] = [];
  const timed = <T>(key: "agentMs" | "srmMs" | "stateMs", f: () => T): T => {
    const t0 = performance.now();
    const out = f();
    timings[key] += performance.now() - t0;
    return out;
  };
  const addPoint = (
    step: number,
    cell: number,
    point: Point,
    label: PointLabel,
    score: number,
    reward?: number,
  ) => {
    points.push(point);
    labels.push(label);
    trajectory.push({ step, cell, point, label, score, ...(reward === undefined ? {} : { reward }) });
  };

  // y_r depends on the image only: one SRM call per episode labels every click.
  const yr = useSrm ? (o.srmMap ?? timed("srmMs", () => deps.srm.predict(img.srmInput))) : undefined;

  for (const p of initialPrompts(img, frame, yr, o)) addPoint(0, p.cell, p.point, p.label, p.score);

  // The SRM map as the decoder's dense mask prompt (SAM's mask_input), unless the previous step's
  // logits take that place (useMaskInput).
  const srmPrompt = yr && o.srmPrompt ? srmPromptLogits(yr, img, deps.segmenter.info.lowResSize) : undefined;
  const decode = async (maskInput = srmPrompt): Promise<DecodeResult> => {
    const t0 = performance.now();
    const res = await deps.segmenter.decode(img.embedding, {
      points: [...points],
      labels: [...labels],
      ...(maskInput ? { maskInput } : {}),
    });
    timings.decodeMs.push(performance.now() - t0);
    return res;
  };
  // IoU of the current (full-size, binary) mask with the ground truth, for the "iou-gain" reward:
  // the very number the evaluation scores, not a proxy on a coarse grid.
  const iouGain = o.mode === "train" && o.reward === "iou-gain" && img.groundTruth !== undefined;
  let currentIou = 0;
  const stepMasks: Float32Array[] = [];
  // Only the logits a click changed get a new sigmoid (bit-identical M).
  const sigmoids: SigmoidCache = {};
  let current = await decode();
  /**
   * M at the frame resolution and s_t for `current`, built when a step first needs them: an
   * inference episode never reads its last decode's (training does, to bootstrap the value).
   */
  let view: { mask: Float32Array; state: Float32Array } | undefined;
  const see = () =>
    (view ??= timed("stateMs", () => {
      const { height: h, width: w } = img.features;
      const logits = current.lowResLogits[bestCandidate(current)];
      const mask = maskFromLowRes(logits, current.lowResSize, h, w, sigmoids);
      return { mask, state: buildState(img.features, mask) };
    }));
  /** What a decode records at once: its logits (keepStepMasks) and, for the reward, its IoU. */
  const record = (res: DecodeResult) => {
    view = undefined;
    const best = bestCandidate(res);
    if (o.keepStepMasks) stepMasks.push(res.lowResLogits[best]);
    if (iouGain) {
      timed("stateMs", () => {
        currentIou = binaryIou(res.masks[best].data, img.groundTruth!.data);
      });
    }
  };
  record(current);

  const { width, height } = img.image;
  // Cells holding an initial prompt count as clicked: clicking them again adds little.
  const clicked: number[] = [...new Set(points.map((p) => pixelToCell(o.grid, p, width, height)))];
  const seesSrm = deps.net.shape.inputChannels === stateChannels(img.features.channels) + 2;
  // Without the SRM the agent sees y_r = 0.5 everywhere.
  const yrSeen = seesSrm
    ? (yr ?? new Float32Array(img.features.height * img.features.width).fill(0.5))
    : undefined;
  const pooledYr = yrSeen ? timed("stateMs", () => poolMap(img.features, yrSeen)) : undefined;
  const observe = () => {
    const { mask, state } = see();
    return timed("stateMs", () =>
      yrSeen && pooledYr ? agentObservation(img, state, yrSeen, pooledYr, mask) : state,
    );
  };
  let rewardSum = 0;
  let actions = 0;
  for (let t = 1; t <= o.steps && clicked.length < n; t++) {
    const iouBefore = currentIou;
    const available = availableCells(o.grid, clicked);
    const input = observe();
    const { action, logProb, value } = timed("agentMs", () => chooseCell(deps.net, input, available, o));
    let point = cellCenter(o.grid, action, width, height);
    let label: PointLabel = 1;
    let score = 1;
    if (yr) {
      const p = placeInCell(frame.cell(o.grid, action), yr, see().mask);
      point = frame.point(p);
      score = yr[p];
      label = score > 0.5 ? 1 : 0;
    }
    let reward: number | undefined = img.groundTruth ? clickReward(img.groundTruth, point) : undefined;
    addPoint(t, action, point, label, score, reward);
    clicked.push(action);
    actions++;
    const previous = current.lowResLogits[bestCandidate(current)];
    current = await decode(o.useMaskInput ? previous : undefined);
    record(current);
    // The trajectory keeps the click reward (written before the decode); PPO gets this one.
    if (iouGain) reward = iouGainReward(iouBefore, currentIou);
    if (o.mode === "train")
      transitions.push({ state: input, available, action, reward: reward ?? 0, logProb, value });
    rewardSum += reward ?? 0;
  }
  let bootstrap = 0;
  if (o.mode === "train" && o.ablation !== "no-rl") {
    const last = observe();
    bootstrap = timed("agentMs", () => deps.net.value(last));
  }
  return {
    trajectory,
    transitions,
    bootstrap,
    final: current,
    ...(yr ? { srmMap: yr } : {}),
    stepMasks,
    meanReward: actions > 0 ? rewardSum / actions : 0,
    timings,
  };
}

/**
 * y_r (frame h x w) as mask-prompt logits at the decoder's low-res size (nearest), within +-8. The
 * logit is taken once per frame position (h x w), not once per low-res cell (16x as many logs).
 */
function srmPromptLogits(yr: Float32Array, img: PreparedImage, size: number): Float32Array {
  const { height: h, width: w } = img.features;
  const logit = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) {
    const p = Math.min(0.9997, Math.max(0.0003, yr[i]));
    logit[i] = Math.log(p / (1 - p));
  }
  const column = new Int32Array(size);
  for (let x = 0; x < size; x++) column[x] = Math.min(w - 1, Math.floor((x * w) / size));
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const row = Math.min(h - 1, Math.floor((y * h) / size)) * w;
    for (let x = 0; x < size; x++) out[y * size + x] = logit[row + column[x]];
  }
  return out;
}
