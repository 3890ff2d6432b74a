/**
 * One prompting episode (paper Algorithm 1 and Sec. 3.3 "evaluation"): initial prompts P_0, then T
 * steps of choose a cell -> label it with the SRM -> decode with all points -> reward -> next state.
 * The same loop serves training (sampled actions, rewards, SRM updates) and inference (greedy or
 * sampled actions, SRM-chosen P_0), and the paper's ablations (no RL, no SRM, any T).
 */
import { availableCells, cellCenter, type GridSpec, gridSide, pixelToCell } from "../agent/grid.ts";
import type { ActorCritic } from "../agent/policy-net.ts";
import type { Transition } from "../agent/ppo.ts";
import { clickReward, iouGainReward, type RewardKind } from "../agent/reward.ts";
import { type Random, sampleIndex } from "../util/random.ts";
import { appendChannel, buildState, maskFromLowRes, stateChannels } from "../agent/state.ts";
import type { DecodeResult, Point, PointLabel, PromptableSegmenter } from "../models/ports.ts";
import type { Srm } from "../srm/srm.ts";
import { bestCandidate } from "./frame.ts";
import type { PreparedImage } from "./prepare.ts";

export type Ablation = "none" | "no-rl" | "no-srm";
export type SrmSchedule = "action" | "episode";
export const ABLATIONS: readonly Ablation[] = ["none", "no-rl", "no-srm"];

export interface EpisodeOptions {
  readonly mode: "train" | "infer";
  readonly grid: GridSpec;
  readonly steps: number;
  readonly rng: Random;
  /** Inference: argmax of pi instead of a sample. */
  readonly greedy: boolean;
  readonly ablation: Ablation;
  /** Training: SRM iterations (q) after each action, or per episode on all its states. */
  readonly srmUpdates: number;
  /** "action": q iterations on s_t after every action (paper); "episode": q on the batch of states. */
  readonly srmSchedule?: SrmSchedule;
  readonly srmLr: number;
  /** Pass the previous best low-res logits as the decoder's mask input. */
  readonly useMaskInput: boolean;
  /** Training reward (default "paper": +1 / -1 for a click on foreground / background). */
  readonly reward?: RewardKind;
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
  /** SRM foreground score of the cell (or 1 / 0 when no SRM decided). */
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
  /** y_r on the last state seen by the SRM (R x R), undefined when the SRM is ablated. */
  readonly srmMap?: Float32Array;
  readonly stepMasks: Float32Array[];
  /** With keepStepMasks: y_r (R x R) that labelled step t's clicks, t = 0 (P_0) .. T; empty without the SRM. */
  readonly stepSrmMaps: Float32Array[];
  readonly meanReward: number;
  readonly srmLoss: number;
  readonly timings: EpisodeTimings;
}

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

function randomPixel(mask: Uint8Array, value: number, rng: Random): number {
  const idx: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === value) idx.push(i);
  return idx.length === 0 ? -1 : idx[rng.int(idx.length)];
}

/** Centre of an R x R state position in image pixels. */
function statePositionPoint(p: number, r: number, width: number, height: number): Point {
  return { x: (((p % r) + 0.5) * width) / r, y: ((Math.floor(p / r) + 0.5) * height) / r };
}

function argExtreme(values: Float32Array, sign: 1 | -1): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (sign * values[i] > sign * values[best]) best = i;
  return best;
}

export async function runEpisode(
  img: PreparedImage,
  deps: { segmenter: PromptableSegmenter; net: ActorCritic; srm: Srm },
  o: EpisodeOptions,
): Promise<EpisodeResult> {
  const { width, height } = img.image;
  const r = img.features.size;
  const n = gridSide(o.grid) ** 2;
  const useSrm = o.ablation !== "no-srm";
  const timings: EpisodeTimings = { decodeMs: [], agentMs: 0, srmMs: 0, stateMs: 0 };
  const trajectory: TrajectoryStep[] = [];
  const transitions: Transition[] = [];
  const points: Point[] = [];
  const labels: PointLabel[] = [];
  let srmLoss = 0;
  let srmMap: Float32Array | undefined;
  // With keepStepMasks: the SRM map that labelled each step's clicks (index 0: P_0).
  const stepSrmMaps: Float32Array[] = [];
  const timed = <T>(key: "agentMs" | "srmMs" | "stateMs", f: () => T): T => {
    const t0 = performance.now();
    const out = f();
    timings[key] += performance.now() - t0;
    return out;
  };
  const srmBatch: Float32Array[] = [];
  const trainSrm = (state: Float32Array, final = false) => {
    if (o.mode !== "train" || !useSrm || !img.target || o.srmUpdates <= 0) return;
    if (final && o.srmSchedule !== "episode") return;
    if (o.srmSchedule === "episode") {
      if (!final) srmBatch.push(state);
      if (!final || srmBatch.length === 0) return;
    }
    const batch = o.srmSchedule === "episode" ? srmBatch : [state];
    srmLoss = timed("srmMs", () => deps.srm.train(batch, img.semantic, img.target!, o.srmUpdates, o.srmLr));
  };

  // P_0: ground truth in training, SRM extremes at inference, random (all positive) without SRM.
  let state = timed("stateMs", () => buildState(img.features, undefined));
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
  if (o.mode === "train" && img.groundTruth && o.ablation !== "no-srm") {
    const gt = img.groundTruth;
    const pos = randomPixel(gt.data, 1, o.rng);
    const neg = randomPixel(gt.data, 0, o.rng);
    const toPoint = (i: number): Point => ({
      x: ((i % gt.width) + 0.5) * (width / gt.width),
      y: (Math.floor(i / gt.width) + 0.5) * (height / gt.height),
    });
    if (pos >= 0) addPoint(0, -1, toPoint(pos), 1, 1);
    if (neg >= 0) addPoint(0, -1, toPoint(neg), 0, 0);
    trainSrm(state);
  } else if (useSrm) {
    const y0 = timed("srmMs", () => deps.srm.predict(state, img.semantic));
    srmMap = y0;
    if (o.keepStepMasks) stepSrmMaps.push(y0);
    const hi = argExtreme(y0, 1);
    const lo = argExtreme(y0, -1);
    addPoint(0, -1, statePositionPoint(hi, r, width, height), 1, y0[hi]);
    if (lo !== hi) addPoint(0, -1, statePositionPoint(lo, r, width, height), 0, y0[lo]);
  } else {
    const a = o.rng.int(n);
    const b = (a + 1 + o.rng.int(n - 1)) % n;
    for (const c of [a, b]) addPoint(0, c, cellCenter(o.grid, c, width, height), 1, 1);
  }

  const decode = async (maskInput?: Float32Array): Promise<DecodeResult> => {
    const t0 = performance.now();
    const res = await deps.segmenter.decode(img.embedding, {
      points: [...points],
      labels: [...labels],
      ...(maskInput ? { maskInput } : {}),
    });
    timings.decodeMs.push(performance.now() - t0);
    return res;
  };
  let current = await decode();
  const stepMasks: Float32Array[] = [];
  // IoU of the current (full-size, binary) mask with the ground truth, for the "iou-gain" reward:
  // the very number the evaluation scores, not a proxy on the coarse R x R grid.
  const iouGain = o.mode === "train" && o.reward === "iou-gain" && img.groundTruth !== undefined;
  let currentIou = 0;
  const advance = (res: DecodeResult): Float32Array => {
    const best = bestCandidate(res);
    const logits = res.lowResLogits[best];
    if (o.keepStepMasks) stepMasks.push(logits);
    return timed("stateMs", () => {
      const { height: h, width: w } = img.features;
      const mask = maskFromLowRes(logits, res.lowResSize, h, w);
      if (iouGain) currentIou = binaryIou(res.masks[best].data, img.groundTruth!.data);
      return buildState(img.features, mask);
    });
  };
  state = advance(current);

  // Cells holding an initial prompt count as clicked: clicking them again adds no information.
  const clicked: number[] = [...new Set(points.map((p) => pixelToCell(o.grid, p, width, height)))];
  const actions: number[] = [];
  let rewardSum = 0;
  // A net built for "state+srm" (policy card architecture.agentInput) has one input channel more.
  const seesSrm = deps.net.shape.inputChannels === stateChannels(img.features.channels) + 1;
  const srmOf = (s: Float32Array): Float32Array | undefined =>
    useSrm ? timed("srmMs", () => deps.srm.predict(s, img.semantic)) : undefined;
  // Without the SRM (its ablation) an agent trained to read y_r sees "undecided" everywhere.
  const agentInput = (s: Float32Array, yr: Float32Array | undefined): Float32Array =>
    seesSrm ? appendChannel(s, yr ?? new Float32Array(r * r).fill(0.5)) : s;
  for (let t = 1; t <= o.steps && clicked.length < n; t++) {
    const iouBefore = currentIou;
    const available = availableCells(o.grid, clicked);
    // y_r of s_t: labels this step's click and, for a "state+srm" agent, is part of what it sees.
    const yr = srmOf(state);
    if (yr) srmMap = yr;
    if (yr && o.keepStepMasks) stepSrmMaps.push(yr);
    const input = agentInput(state, yr);
    let action: number;
    let logProb = 0;
    let value = 0;
    if (o.ablation === "no-rl") {
      action = sampleIndex(available, o.rng);
    } else {
      const ev = timed("agentMs", () => deps.net.evaluate(input, available));
      action = o.mode === "infer" && o.greedy ? argExtreme(ev.probs, 1) : sampleIndex(ev.probs, o.rng);
      if (action < 0 || available[action] === 0) action = sampleIndex(available, o.rng);
      logProb = Math.log(Math.max(ev.probs[action], 1e-12));
      value = ev.value;
    }
    let label: PointLabel = 1;
    let score = 1;
    if (yr) {
      score = deps.srm.cellScores(yr)[action];
      label = score > 0.5 ? 1 : 0;
    }
    const point = cellCenter(o.grid, action, width, height);
    let reward: number | undefined = img.groundTruth ? clickReward(img.groundTruth, point) : undefined;
    addPoint(t, action, point, label, score, reward);
    clicked.push(action);
    actions.push(action);
    const previous = current.lowResLogits[bestCandidate(current)];
    current = await decode(o.useMaskInput ? previous : undefined);
    const nextState = advance(current);
    // The trajectory keeps the click reward (it is written before the decode); PPO gets this one.
    if (iouGain) reward = iouGainReward(iouBefore, currentIou);
    if (o.mode === "train") {
      trainSrm(state);
      transitions.push({ state: input, available, action, reward: reward ?? 0, logProb, value });
    }
    rewardSum += reward ?? 0;
    state = nextState;
  }
  trainSrm(state, true);
  const bootstrap =
    o.mode === "train" && o.ablation !== "no-rl"
      ? timed("agentMs", () => deps.net.value(agentInput(state, seesSrm ? srmOf(state) : undefined)))
      : 0;
  return {
    trajectory,
    transitions,
    bootstrap,
    final: current,
    srmMap,
    stepMasks,
    stepSrmMaps,
    meanReward: actions.length > 0 ? rewardSum / actions.length : 0,
    srmLoss,
    timings,
  };
}
