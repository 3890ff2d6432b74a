/**
 * Training one task (paper Algorithm 1 + SRM, Sec. 4.1 settings): E passes over the training images,
 * one episode of T clicks per image per pass, K PPO epochs after each episode, q SRM iterations after
 * each action. Only the agent and the SRM learn; the segmenter and the prior stay frozen.
 */
import { createHash } from "node:crypto";
import { type GridSpec, gridSide, PAPER_GRID } from "../agent/grid.ts";
import { createPpoOptimizer, ppoUpdate, type Transition } from "../agent/ppo.ts";
import type { RewardKind } from "../agent/reward.ts";
import { createRandom } from "../util/random.ts";
import { computeFeatureStats } from "../agent/state.ts";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type { Embedding, PromptableSegmenter } from "../models/ports.ts";
import {
  type Hyperparameters,
  POLICY_FORMAT_VERSION,
  type PolicyCard,
  type PriorRef,
} from "../policy/card.ts";
import { createNetworks, makePolicy, type Policy } from "../policy/policy.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
import { activeTfBackend, initTf } from "../tf/backend.ts";
import { runEpisode, type SrmSchedule } from "./environment.ts";
import { type PreparedImage, type PriorChoice, prepareImage, requirePrior, resolveTexts } from "./prepare.ts";

export interface TrainingSample {
  readonly id?: string;
  readonly image: RgbImage;
  readonly mask: BinaryMask;
  /** Texts for the prior when the task's texts use "{class}" (VOC: the class name). */
  readonly texts?: readonly string[];
}

export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly episode: number;
  readonly episodes: number;
  readonly meanReward: number;
  readonly actorLoss: number;
  readonly criticLoss: number;
  readonly srmLoss: number;
  readonly elapsedMs: number;
}

export interface TrainOptions {
  readonly segmenter: PromptableSegmenter;
  /** Explicit branch: the vision-language prior, or "none" to train with M_c = 1 (recorded). */
  readonly prior?: PriorChoice;
  /** T (paper 15). */
  readonly steps?: number;
  /** E, passes over the training set (paper 50). */
  readonly epochs?: number;
  /** K (paper 20). */
  readonly ppoEpochs?: number;
  /** Adam learning rate of actor and critic (paper 1e-4). */
  readonly lr?: number;
  /**
   * Adam learning rate of the SRM. The paper gives one rate (1e-4, for the agent); at that rate the
   * SRM of a 5-epoch run barely leaves its initialisation (saliency mIoU 3.4 vs 30.8 at 1e-3; blur
   * 76.7 vs 78.2; glass 56.4 vs 62.0, 30 held-out images each), so the SRM gets its own default.
   * @default 1e-3
   */
  readonly srmLr?: number;
  readonly gamma?: number;
  readonly clip?: number;
  readonly entropy?: number;
  /** q (paper: 1 implicit, 5 explicit). */
  readonly srmUpdates?: number;
  readonly normalizeAdvantages?: boolean;
  /**
   * Episodes per PPO update (paper: 1). Default 5: with 1, K = 20 updates after each of the 2500
   * episodes cost ~12 min alone on a 2-core CPU (per-update overhead dominates); 5 keeps E, T, K.
   */
  readonly episodesPerUpdate?: number;
  /**
   * SRM updates: q iterations after every action ("action", the paper) or q iterations per episode
   * on the batch of its states ("episode", the default: same data, ~8x less time on CPU).
   */
  readonly srmSchedule?: SrmSchedule;
  readonly useMaskInput?: boolean;
  /**
   * What the agent sees: "state" (paper: s_t) or "state+srm" (default: s_t and the SRM's y_r, with
   * an actor read-out of |y_r - M| that starts at the "click the largest disagreement" rule; see
   * policies/README.md for the measurements).
   */
  readonly agentInput?: "state" | "state+srm";
  /**
   * Training reward: "iou-gain" (default: 20 x the click's gain in IoU of the full-size mask,
   * clipped to [-1, 1]) or "paper" (+1/-1 for a click on foreground, which rewards piling clicks
   * onto the object whether or not the mask improves).
   */
  readonly reward?: RewardKind;
  readonly seed: number;
  readonly grid?: GridSpec;
  /** R = (S/P) * stateScale (default 1: the grid resolution; 2 quadruples the nets' cost). */
  readonly stateScale?: number;
  readonly hidden?: number;
  readonly srmHidden?: number;
  readonly onProgress?: (p: TrainProgress) => void;
}

/** Where training time went, in milliseconds. */
export interface TrainTimings {
  encodeMs: number;
  prepareMs: number;
  priorMs: number;
  decodeMs: number;
  agentForwardMs: number;
  stateMs: number;
  srmMs: number;
  ppoMs: number;
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

/**
 * Trains the agent and the SRM for a task and returns the policy (card + nets); the card's
 * `training.timingsMs` says where the time went (TrainTimings keys). The segmenter is called once per
 * image to encode and T+1 times per episode to decode.
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
  const g = gridSide(grid);
  const stateScale = options.stateScale ?? 1;
  const stateSize = g * stateScale;
  const hp: Hyperparameters = {
    steps: options.steps ?? 15,
    epochs: options.epochs ?? 50,
    ppoEpochs: options.ppoEpochs ?? 20,
    lr: options.lr ?? 1e-4,
    srmLr: options.srmLr ?? 1e-3,
    gamma: options.gamma ?? 0.99,
    clip: options.clip ?? 0.2,
    entropy: options.entropy ?? 0.01,
    srmUpdates: options.srmUpdates ?? (task.branch === "explicit" ? 5 : 1),
    normalizeAdvantages: options.normalizeAdvantages ?? true,
    episodesPerUpdate: options.episodesPerUpdate ?? 5,
    srmSchedule: options.srmSchedule ?? "episode",
    useMaskInput: options.useMaskInput ?? false,
    reward: options.reward ?? "iou-gain",
  };
  const seg = options.segmenter;
  const timings: TrainTimings = {
    encodeMs: 0,
    prepareMs: 0,
    priorMs: 0,
    decodeMs: 0,
    agentForwardMs: 0,
    stateMs: 0,
    srmMs: 0,
    ppoMs: 0,
    totalMs: 0,
  };
  const embeddings: Embedding[] = [];
  for (const s of samples) {
    if (s.mask.width !== s.image.width || s.mask.height !== s.image.height) {
      throw new AlignSamError(
        "MASK_SHAPE",
        `mask ${s.mask.width}x${s.mask.height} does not match image ${s.image.width}x${s.image.height} (${s.id ?? "?"})`,
      );
    }
    const t0 = performance.now();
    embeddings.push(await seg.encode(s.image));
    timings.encodeMs += performance.now() - t0;
  }
  const stats = computeFeatureStats(embeddings);
  const t1 = performance.now();
  const prepTimings = { decodeMs: 0, priorMs: 0 };
  const prepared: PreparedImage[] = [];
  for (const [i, s] of samples.entries()) {
    prepared.push(
      await prepareImage({
        id: s.id ?? `#${i}`,
        image: s.image,
        embedding: embeddings[i],
        mask: s.mask,
        segmenter: seg,
        stats,
        stateSize,
        branch: task.branch,
        prior: options.prior,
        texts: task.branch === "explicit" ? resolveTexts(task, s.texts) : [],
        timings: prepTimings,
      }),
    );
  }
  timings.prepareMs = performance.now() - t1 - prepTimings.priorMs;
  timings.priorMs = prepTimings.priorMs;

  const architecture = {
    embeddingChannels: seg.info.embeddingShape[0],
    stateSize,
    stateScale,
    hidden: options.hidden ?? 16,
    srmHidden: options.srmHidden ?? 16,
    agentInput: options.agentInput ?? "state+srm",
  };
  const { net, srm } = createNetworks({ grid, architecture, branch: task.branch }, options.seed);
  const optimizer = createPpoOptimizer(hp.lr);
  const rng = createRandom(options.seed + 7);
  const episodes = hp.epochs * prepared.length;
  let episode = 0;
  let recentReward = 0;
  let lastStats = { actorLoss: 0, criticLoss: 0 };
  try {
    for (let epoch = 1; epoch <= hp.epochs; epoch++) {
      let buffer: { transitions: Transition[]; bootstrap: number }[] = [];
      let epochReward = 0;
      const order = rng.shuffle([...prepared]);
      for (const [i, img] of order.entries()) {
        const ep = await runEpisode(
          img,
          { segmenter: seg, net, srm },
          {
            mode: "train",
            grid,
            steps: hp.steps,
            rng,
            greedy: false,
            ablation: "none",
            srmUpdates: hp.srmUpdates,
            srmSchedule: hp.srmSchedule,
            srmLr: hp.srmLr,
            useMaskInput: hp.useMaskInput,
            reward: hp.reward,
          },
        );
        episode++;
        epochReward += ep.meanReward;
        timings.decodeMs += ep.timings.decodeMs.reduce((a, b) => a + b, 0);
        timings.agentForwardMs += ep.timings.agentMs;
        timings.stateMs += ep.timings.stateMs;
        timings.srmMs += ep.timings.srmMs;
        buffer.push({ transitions: ep.transitions, bootstrap: ep.bootstrap });
        if (buffer.length >= hp.episodesPerUpdate || i === order.length - 1) {
          const t0 = performance.now();
          lastStats = ppoUpdate(net, optimizer, buffer, {
            gamma: hp.gamma,
            clip: hp.clip,
            epochs: hp.ppoEpochs,
            entropy: hp.entropy,
            normalizeAdvantages: hp.normalizeAdvantages,
          });
          timings.ppoMs += performance.now() - t0;
          buffer = [];
        }
        options.onProgress?.({
          epoch,
          epochs: hp.epochs,
          episode,
          episodes,
          meanReward: ep.meanReward,
          actorLoss: lastStats.actorLoss,
          criticLoss: lastStats.criticLoss,
          srmLoss: ep.srmLoss,
          elapsedMs: performance.now() - started,
        });
      }
      recentReward = epochReward / order.length;
    }
  } catch (e) {
    net.dispose();
    srm.dispose();
    throw e;
  } finally {
    optimizer.dispose();
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
      episodes,
      finalMeanReward: recentReward,
      timingsMs: { ...timings },
    },
    createdAt: new Date().toISOString(),
  };
  return makePolicy(card, net, srm, stats);
}
