/**
 * Training one task: encode the training images and augmented copies (once), fit the dense SRM with
 * k-fold cross-fitting (srm/fit.ts), then train the PPO agent on each image's out-of-fold SRM map
 * (paper Algorithm 1: E passes, one episode of T clicks per image per pass, K PPO epochs per update).
 * Only the agent and the SRM learn; the segmenter and the prior stay frozen. Settings default to
 * TRAINING_DEFAULTS (./defaults.ts); the differences from the paper are in docs/DEVIATIONS.md.
 */
import { createHash } from "node:crypto";
import { type GridSpec, gridSide, PAPER_GRID } from "../agent/grid.ts";
import type { ActorCritic } from "../agent/policy-net.ts";
import { createPpoOptimizer, ppoUpdate, type Transition } from "../agent/ppo.ts";
import type { RewardKind } from "../agent/reward.ts";
import { computeFeatureStats } from "../agent/state.ts";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import { iou } from "../metrics/iou.ts";
import type { Embedding, PromptableSegmenter } from "../models/ports.ts";
import {
  type Hyperparameters,
  POLICY_FORMAT_VERSION,
  type PolicyCard,
  type PriorRef,
} from "../policy/card.ts";
import { createNetworks, makePolicy, type Policy } from "../policy/policy.ts";
import { augmentOnce } from "../srm/augment.ts";
import { fitSrm, type SrmFitProgress, type SrmFitResult, type SrmImage } from "../srm/fit.ts";
import type { Srm } from "../srm/srm.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
import { activeTfBackend, initTf } from "../tf/backend.ts";
import { createRandom } from "../util/random.ts";
import { TRAINING_DEFAULTS } from "./defaults.ts";
import { runEpisode } from "./environment.ts";
import { bestCandidate } from "./frame.ts";
import { type PreparedImage, type PriorChoice, prepareImage, requirePrior, resolveTexts } from "./prepare.ts";

export interface TrainingSample {
  readonly id?: string;
  readonly image: RgbImage;
  readonly mask: BinaryMask;
  /** Texts for the prior when the task's texts use "{class}" (VOC: the class name). */
  readonly texts?: readonly string[];
}

/** Progress of the PPO phase, one call per episode. */
export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly episode: number;
  readonly episodes: number;
  readonly meanReward: number;
  readonly actorLoss: number;
  readonly criticLoss: number;
  readonly elapsedMs: number;
}

/** One point of a learning curve: held-out mean IoU after `update` PPO updates (`episode` episodes). */
export interface CurvePoint {
  readonly update: number;
  readonly episode: number;
  readonly iou: number;
}

/** Progress of the phases before PPO: encoding (images done) and the SRM fit (one call per epoch). */
export type PhaseProgress =
  | { readonly phase: "encode"; readonly done: number; readonly total: number }
  | ({ readonly phase: "srm" } & SrmFitProgress);

/** Called after every `checkpointEvery` PPO updates (and before the first): learning curves. */
export type CheckpointHook = (c: {
  update: number;
  episode: number;
  net: ActorCritic;
  srm: Srm;
}) => Promise<void>;

export interface TrainOptions {
  readonly segmenter: PromptableSegmenter;
  /** Explicit branch: the vision-language prior, or "none" to train with M_c = 1 (recorded). */
  readonly prior?: PriorChoice;
  readonly steps?: number;
  readonly epochs?: number;
  readonly ppoEpochs?: number;
  readonly lr?: number;
  readonly gamma?: number;
  readonly clip?: number;
  readonly entropy?: number;
  readonly normalizeAdvantages?: boolean;
  readonly episodesPerUpdate?: number;
  readonly useMaskInput?: boolean;
  readonly srmPrompt?: boolean;
  readonly agentInput?: "state" | "state+srm";
  readonly actorInit?: "rule" | "random";
  readonly reward?: RewardKind;
  readonly seed: number;
  readonly grid?: GridSpec;
  /** R = (S/P) * stateScale (default 1: the grid resolution). */
  readonly stateScale?: number;
  readonly hidden?: number;
  readonly srmHidden?: number;
  readonly srmMembers?: number;
  readonly srmAugment?: number;
  readonly srmMaxEpochs?: number;
  readonly srmPatience?: number;
  readonly srmBatch?: number;
  readonly srmLr?: number;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onPhase?: (p: PhaseProgress) => void;
  readonly onCheckpoint?: CheckpointHook;
  readonly checkpointEvery?: number;
  /**
   * Learning curves: mean IoU on these held-out images (never trained on) with the greedy agent,
   * before the first PPO update and after every `every` updates; with `randomInit`, a second agent
   * whose cue read-out starts at zero (the paper's start) is trained on the same SRM maps for its
   * own curve and discarded. Recorded in the card (`training.curves`).
   */
  readonly curve?: {
    readonly samples: readonly TrainingSample[];
    readonly every: number;
    readonly randomInit?: boolean;
  };
}

/** Where training time went, in milliseconds. */
export interface TrainTimings {
  encodeMs: number;
  prepareMs: number;
  priorMs: number;
  srmFitMs: number;
  decodeMs: number;
  agentForwardMs: number;
  stateMs: number;
  ppoMs: number;
  /** Held-out scoring for the learning curves (not part of training proper). */
  curveMs: number;
  totalMs: number;
}

/** sha256 over the sorted "id:sha256(mask)" lines: identifies the training set without storing it. */
export function trainingSetHash(samples: readonly { id?: string; mask: BinaryMask }[]): string {
  const lines = samples.map((s, i) => {
    const h = createHash("sha256");
    h.update(`${s.mask.width}x${s.mask.height}:`);
    h.update(s.mask.data);
    return `${s.id ?? `#${i}`}:${h.digest("hex")}`;
  });
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

function priorRef(task: TaskDefinition, prior: PriorChoice): PriorRef {
  if (task.branch === "implicit") return { kind: "unused" };
  if (prior === "none" || prior === undefined) {
    return { kind: "none", note: "explicit branch trained with M_c = 1: no vision-language prior was used" };
  }
  return { kind: "model", backend: prior.info.backend, modelId: prior.info.modelId };
}

function hyperparameters(o: TrainOptions): Hyperparameters {
  const d = TRAINING_DEFAULTS;
  return {
    steps: o.steps ?? d.steps,
    epochs: o.epochs ?? d.epochs,
    ppoEpochs: o.ppoEpochs ?? d.ppoEpochs,
    lr: o.lr ?? d.lr,
    srmLr: o.srmLr ?? d.srmLr,
    gamma: o.gamma ?? d.gamma,
    clip: o.clip ?? d.clip,
    entropy: o.entropy ?? d.entropy,
    normalizeAdvantages: o.normalizeAdvantages ?? d.normalizeAdvantages,
    episodesPerUpdate: o.episodesPerUpdate ?? d.episodesPerUpdate,
    useMaskInput: o.useMaskInput ?? d.useMaskInput,
    srmPrompt: o.srmPrompt ?? d.srmPrompt,
    reward: o.reward ?? d.reward,
    srmAugment: o.srmAugment ?? d.srmAugment,
    srmMaxEpochs: o.srmMaxEpochs ?? d.srmMaxEpochs,
    srmPatience: o.srmPatience ?? d.srmPatience,
    srmBatch: o.srmBatch ?? d.srmBatch,
  };
}

interface Encoded {
  /** The training images, ready for episodes. */
  readonly prepared: PreparedImage[];
  /** Per training image: SRM examples (original first, then augmented copies). */
  readonly srmImages: SrmImage[];
  readonly stats: ReturnType<typeof computeFeatureStats>;
}

/** Encodes every training image and `augment` augmented copies of each (once per run). */
async function encodeTrainingSet(
  samples: readonly TrainingSample[],
  task: TaskDefinition,
  o: TrainOptions,
  augment: number,
  stateSize: number,
  timings: TrainTimings,
): Promise<Encoded> {
  const seg = o.segmenter;
  const rng = createRandom(o.seed + 11);
  const variants = samples.map((s) => {
    if (s.mask.width !== s.image.width || s.mask.height !== s.image.height) {
      throw new AlignSamError(
        "MASK_SHAPE",
        `mask ${s.mask.width}x${s.mask.height} does not match image ${s.image.width}x${s.image.height} (${s.id ?? "?"})`,
      );
    }
    const copies = [{ image: s.image, mask: s.mask }];
    for (let a = 0; a < augment; a++) copies.push(augmentOnce(s, rng));
    return copies;
  });
  const total = variants.length * (augment + 1);
  const embeddings: Embedding[][] = [];
  let done = 0;
  for (const copies of variants) {
    const row: Embedding[] = [];
    for (const c of copies) {
      const t0 = performance.now();
      row.push(await seg.encode(c.image));
      timings.encodeMs += performance.now() - t0;
      o.onPhase?.({ phase: "encode", done: ++done, total });
    }
    embeddings.push(row);
  }
  // Normalisation from the originals only: what inference will see.
  const stats = computeFeatureStats(embeddings.map((row) => row[0]));
  const t1 = performance.now();
  const prepTimings = { decodeMs: 0, priorMs: 0 };
  const prepared: PreparedImage[] = [];
  const srmImages: SrmImage[] = [];
  for (const [i, s] of samples.entries()) {
    const id = s.id ?? `#${i}`;
    const examples = [];
    for (const [j, c] of variants[i].entries()) {
      const p = await prepareImage({
        id,
        image: c.image,
        embedding: embeddings[i][j],
        mask: c.mask,
        segmenter: seg,
        stats,
        stateSize,
        branch: task.branch,
        prior: o.prior,
        texts: task.branch === "explicit" ? resolveTexts(task, s.texts) : [],
        timings: prepTimings,
      });
      if (j === 0) prepared.push(p);
      examples.push({ ...p.srmInput, target: p.target! });
    }
    srmImages.push({ id, examples });
  }
  timings.prepareMs = performance.now() - t1 - prepTimings.priorMs;
  timings.priorMs = prepTimings.priorMs;
  return { prepared, srmImages, stats };
}

/** Encodes and prepares held-out images with the training statistics (learning curves). */
async function prepareHeldOut(
  samples: readonly TrainingSample[],
  task: TaskDefinition,
  o: TrainOptions,
  stats: Encoded["stats"],
  stateSize: number,
): Promise<PreparedImage[]> {
  const out: PreparedImage[] = [];
  for (const [i, s] of samples.entries()) {
    out.push(
      await prepareImage({
        id: s.id ?? `held-out #${i}`,
        image: s.image,
        embedding: await o.segmenter.encode(s.image),
        mask: s.mask,
        segmenter: o.segmenter,
        stats,
        stateSize,
        branch: task.branch,
        prior: o.prior,
        texts: task.branch === "explicit" ? resolveTexts(task, s.texts) : [],
        timings: { decodeMs: 0, priorMs: 0 },
      }),
    );
  }
  return out;
}

/** Mean IoU of the final masks of greedy episodes (or random clicks) on prepared held-out images. */
async function heldOutIou(
  images: readonly PreparedImage[],
  deps: { segmenter: PromptableSegmenter; net: ActorCritic; srm: Srm },
  hp: Hyperparameters,
  grid: GridSpec,
  ablation: "none" | "no-rl",
): Promise<number> {
  let sum = 0;
  for (const [k, img] of images.entries()) {
    const ep = await runEpisode(img, deps, {
      mode: "infer",
      grid,
      steps: hp.steps,
      rng: createRandom(k),
      greedy: true,
      ablation,
      useMaskInput: hp.useMaskInput,
      srmPrompt: hp.srmPrompt,
    });
    sum += iou(ep.final.masks[bestCandidate(ep.final)], img.groundTruth!);
  }
  return sum / Math.max(1, images.length);
}

/** PPO over E passes; every image's episode uses its out-of-fold SRM map. */
async function trainAgent(
  prepared: readonly PreparedImage[],
  srmMaps: readonly Float32Array[],
  nets: { net: ActorCritic; srm: Srm },
  hp: Hyperparameters,
  o: TrainOptions & { grid: GridSpec },
  timings: TrainTimings,
  started: number,
): Promise<number> {
  const { net, srm } = nets;
  const optimizer = createPpoOptimizer(hp.lr);
  const rng = createRandom(o.seed + 7);
  const episodes = hp.epochs * prepared.length;
  const every = o.checkpointEvery ?? 1;
  let episode = 0;
  let updates = 0;
  let recentReward = 0;
  let last = { actorLoss: 0, criticLoss: 0 };
  try {
    await o.onCheckpoint?.({ update: 0, episode: 0, net, srm });
    for (let epoch = 1; epoch <= hp.epochs; epoch++) {
      let buffer: { transitions: Transition[]; bootstrap: number }[] = [];
      let epochReward = 0;
      const order = rng.shuffle([...prepared.keys()]);
      for (const [i, idx] of order.entries()) {
        const ep = await runEpisode(
          prepared[idx],
          { segmenter: o.segmenter, net, srm },
          {
            mode: "train",
            grid: o.grid,
            steps: hp.steps,
            rng,
            greedy: false,
            ablation: "none",
            useMaskInput: hp.useMaskInput,
            srmPrompt: hp.srmPrompt,
            reward: hp.reward,
            srmMap: srmMaps[idx],
          },
        );
        episode++;
        epochReward += ep.meanReward;
        timings.decodeMs += ep.timings.decodeMs.reduce((a, b) => a + b, 0);
        timings.agentForwardMs += ep.timings.agentMs;
        timings.stateMs += ep.timings.stateMs;
        buffer.push({ transitions: ep.transitions, bootstrap: ep.bootstrap });
        if (buffer.length >= hp.episodesPerUpdate || i === order.length - 1) {
          const t0 = performance.now();
          last = ppoUpdate(net, optimizer, buffer, {
            gamma: hp.gamma,
            clip: hp.clip,
            epochs: hp.ppoEpochs,
            entropy: hp.entropy,
            normalizeAdvantages: hp.normalizeAdvantages,
          });
          timings.ppoMs += performance.now() - t0;
          buffer = [];
          updates++;
          if (updates % every === 0) await o.onCheckpoint?.({ update: updates, episode, net, srm });
        }
        o.onProgress?.({
          epoch,
          epochs: hp.epochs,
          episode,
          episodes,
          meanReward: ep.meanReward,
          actorLoss: last.actorLoss,
          criticLoss: last.criticLoss,
          elapsedMs: performance.now() - started,
        });
      }
      recentReward = epochReward / order.length;
    }
  } finally {
    optimizer.dispose();
  }
  return recentReward;
}

/**
 * Trains the SRM and the agent for a task and returns the policy (card + nets); the card's
 * `training.timingsMs` says where the time went (TrainTimings keys) and `srmFit` how the SRM's
 * cross-fitting went.
 *
 * @example
 * const policy = await trainPolicy(samples, defaultTaskRegistry.get("blur"), { segmenter, seed: 1 });
 */
export async function trainPolicy(
  samples: readonly TrainingSample[],
  task: TaskDefinition,
  options: TrainOptions,
): Promise<Policy> {
  const started = performance.now();
  await initTf();
  if (samples.length === 0)
    throw new AlignSamError("INVALID_ARGUMENT", "trainPolicy needs at least one sample");
  requirePrior(task.branch, options.prior, task.name);
  const grid = options.grid ?? PAPER_GRID;
  const stateScale = options.stateScale ?? 1;
  const stateSize = gridSide(grid) * stateScale;
  const hp = hyperparameters(options);
  const d = TRAINING_DEFAULTS;
  const timings: TrainTimings = {
    encodeMs: 0,
    prepareMs: 0,
    priorMs: 0,
    srmFitMs: 0,
    decodeMs: 0,
    agentForwardMs: 0,
    stateMs: 0,
    ppoMs: 0,
    curveMs: 0,
    totalMs: 0,
  };
  const seg = options.segmenter;
  const { prepared, srmImages, stats } = await encodeTrainingSet(
    samples,
    task,
    options,
    hp.srmAugment,
    stateSize,
    timings,
  );
  const [embeddingChannels, frameH, frameW] = seg.info.embeddingShape;
  const architecture = {
    embeddingChannels,
    stateSize,
    stateScale,
    hidden: options.hidden ?? d.hidden,
    srmHidden: options.srmHidden ?? d.srmHidden,
    // Folds need images on both sides: at most one per image.
    srmMembers: Math.max(1, Math.min(options.srmMembers ?? d.srmMembers, samples.length)),
    srmSize: [frameH, frameW] as [number, number],
    agentInput: options.agentInput ?? d.agentInput,
    actorInit: options.actorInit ?? d.actorInit,
  };
  const { net, srm } = createNetworks({ grid, architecture, branch: task.branch }, options.seed);
  let fit: SrmFitResult;
  let recentReward: number;
  const rulePoints: CurvePoint[] = [];
  const randomPoints: CurvePoint[] = [];
  let randomClicks = Number.NaN;
  try {
    const t0 = performance.now();
    fit = fitSrm(srm, srmImages, {
      maxEpochs: hp.srmMaxEpochs,
      patience: hp.srmPatience,
      batchSize: hp.srmBatch,
      lr: hp.srmLr,
      seed: options.seed + 3,
      onEpoch: (p) => options.onPhase?.({ phase: "srm", ...p }),
    });
    timings.srmFitMs = performance.now() - t0;
    srmImages.length = 0; // the augmented copies are no longer needed
    const heldOut = options.curve
      ? await prepareHeldOut(options.curve.samples, task, options, stats, stateSize)
      : [];
    const curveHook =
      (points: CurvePoint[]): CheckpointHook =>
      async (c) => {
        const t1 = performance.now();
        const iou = await heldOutIou(heldOut, { segmenter: seg, net: c.net, srm: c.srm }, hp, grid, "none");
        points.push({ update: c.update, episode: c.episode, iou });
        timings.curveMs += performance.now() - t1;
        await options.onCheckpoint?.(c);
      };
    const agentOptions = (points: CurvePoint[]) => ({
      ...options,
      grid,
      ...(options.curve ? { onCheckpoint: curveHook(points), checkpointEvery: options.curve.every } : {}),
    });
    recentReward = await trainAgent(
      prepared,
      fit.outOfFold,
      { net, srm },
      hp,
      agentOptions(rulePoints),
      timings,
      started,
    );
    if (options.curve) {
      const t1 = performance.now();
      randomClicks = await heldOutIou(heldOut, { segmenter: seg, net, srm }, hp, grid, "no-rl");
      timings.curveMs += performance.now() - t1;
      if (options.curve.randomInit && architecture.agentInput === "state+srm") {
        const other = createNetworks(
          { grid, architecture: { ...architecture, actorInit: "random" }, branch: task.branch },
          options.seed,
        );
        other.srm.dispose();
        try {
          await trainAgent(
            prepared,
            fit.outOfFold,
            { net: other.net, srm },
            hp,
            { ...agentOptions(randomPoints), onProgress: undefined },
            { ...timings },
            started,
          );
        } finally {
          other.net.dispose();
        }
      }
    }
  } catch (e) {
    net.dispose();
    srm.dispose();
    throw e;
  }
  timings.totalMs = performance.now() - started;
  const card: PolicyCard = {
    formatVersion: POLICY_FORMAT_VERSION,
    task,
    branch: task.branch,
    segmenter: {
      backend: seg.info.backend,
      modelId: seg.info.modelId,
      embeddingShape: [...seg.info.embeddingShape],
      lowResSize: seg.info.lowResSize,
    },
    prior: priorRef(task, options.prior),
    tfBackend: activeTfBackend(),
    grid,
    architecture,
    hyperparameters: hp,
    trainingSet: { count: samples.length, sha256: trainingSetHash(samples) },
    seed: options.seed,
    training: {
      durationMs: timings.totalMs,
      episodes: hp.epochs * prepared.length,
      finalMeanReward: recentReward,
      timingsMs: { ...timings },
      ...(options.curve
        ? {
            curves: {
              images: options.curve.samples.length,
              every: options.curve.every,
              randomClicks,
              [architecture.actorInit]: rulePoints,
              ...(randomPoints.length > 0 ? { random: randomPoints } : {}),
            },
          }
        : {}),
    },
    srmFit: { outOfFoldIou: fit.outOfFoldIou, members: fit.members },
    createdAt: new Date().toISOString(),
  };
  return makePolicy(card, net, srm, stats);
}
