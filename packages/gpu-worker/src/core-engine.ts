/**
 * The Engine on @alignsam/core's pipeline: `segmentImage` with a stored policy, `trainPolicy` for
 * retraining, the core metrics and their one dataset aggregation for scoring. Policies cross the
 * S3 boundary as files (the core policy store's card.json, weights.json, weights.bin), encoded and
 * loaded in memory, and loaded policies are cached per task and version.
 *
 * Each policy runs on the models its card names (./policy-models.ts): the classic segmenter with
 * the card's encoder and, on the explicit branch, the card's prior (the built-in CenterNet detector,
 * or M_c = 1). Retraining keeps the current policy's encoder and prior. A bundled policy whose
 * card names a segmenter this worker cannot run (a classic one on a worker with a SAM package) is
 * treated as absent: segment jobs fail with POLICY_NOT_FOUND, retraining starts from the defaults.
 *
 * Like every worker module, it imports @alignsam/core through its subpath entries, never the full
 * `@alignsam/core` entry: that one also loads ONNX Runtime, the CLIP tokenizer and the evaluation
 * suite, which the worker does not use, and would add about a fifth to its start-up.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { higherIsBetter } from "@alignsam/core/evaluation/report";
import { AlignSamError, type TaskDefinition } from "@alignsam/core/light";
import type { LabelMap } from "@alignsam/core/mask";
import { evaluateImage, iouConventionFor, summarizeImages } from "@alignsam/core/metrics";
import { createThreadedClassicSegmenter } from "@alignsam/core/models/classic";
import { EmbeddingCache, withEmbeddingCache } from "@alignsam/core/models/embedding-cache";
import type { PromptableSegmenter } from "@alignsam/core/models/ports";
import { segmentImage, trainPolicy } from "@alignsam/core/pipeline";
import {
  encodePolicy,
  loadPolicy,
  loadPolicyFiles,
  type Policy,
  type PolicyCard,
  PolicyCardSchema,
} from "@alignsam/core/policy";
import type {
  Engine,
  PolicyScoreResult,
  SegmentOutcome,
  SegmentRequest,
  StoredPolicy,
  TrainedPolicy,
} from "./engine.ts";
import { createPolicyModelResolver, type PolicyModels } from "./policy-models.ts";

const DEFAULT_BUNDLED = resolve(fileURLToPath(import.meta.url), "../../../../policies");

export interface CoreEngineOptions {
  /**
   * The handcrafted classic segmenter; policies trained with a learned or combined encoder get
   * theirs opened on first need. @default the classic (weight-free) segmenter, encoding on a worker thread
   */
  segmenter?: PromptableSegmenter;
  /**
   * Folder of policies shipped with the deployment (`<dir>/<task>/card.json`), used for a task that
   * has no current version in S3 yet. @default <repo>/policies
   */
  bundledPolicyDir?: string;
  /** Loaded policies kept in memory. @default 8 */
  cacheSize?: number;
  /**
   * Let the event loop turn before each encode and decode (see withEventLoopTurns); false only to
   * measure what it costs. @default true
   */
  eventLoopTurns?: boolean;
  /** Bytes of embeddings cached across jobs; 0 (the default here) means no cache. */
  embeddingCacheBytes?: number;
}

/**
 * A segmenter that lets the event loop turn before every encode and decode. The classic backend
 * and the agent run synchronously and their promises resolve as microtasks, so without this a
 * whole image (or a whole training run) never lets timers fire: the queue heartbeat that keeps a
 * long job's message invisible would stall. One setImmediate costs microseconds; the longest
 * stretch without a turn becomes one encode or one decode.
 */
export function withEventLoopTurns(inner: PromptableSegmenter): PromptableSegmenter {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    get info() {
      return inner.info;
    },
    async encode(image) {
      await turn();
      return inner.encode(image);
    },
    async decode(embedding, prompt) {
      await turn();
      return inner.decode(embedding, prompt);
    },
    ...(inner.decodeBatch
      ? {
          decodeBatch: async (
            embedding: Parameters<PromptableSegmenter["decode"]>[0],
            prompts: readonly Parameters<PromptableSegmenter["decode"]>[1][],
          ) => {
            await turn();
            return inner.decodeBatch!(embedding, prompts);
          },
        }
      : {}),
    ...(inner.dispose ? { dispose: () => inner.dispose!() } : {}),
  };
}

/** A policy card from its JSON bytes (POLICY_INCOMPATIBLE when it is not a valid card). */
function parseCard(bytes: Uint8Array | undefined, where: string): PolicyCard {
  if (!bytes) throw new AlignSamError("POLICY_NOT_FOUND", `no policy card at ${where}`);
  const parsed = PolicyCardSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) {
    throw new AlignSamError("POLICY_INCOMPATIBLE", `policy card at ${where} is not a valid card`);
  }
  return parsed.data;
}

interface LoadedPolicy {
  readonly policy: Policy;
  readonly models: PolicyModels;
}

export function createCoreEngine(options: CoreEngineOptions = {}): Engine {
  const embeddingCache = options.embeddingCacheBytes
    ? new EmbeddingCache({ maxBytes: options.embeddingCacheBytes })
    : undefined;
  const wrap = (raw: PromptableSegmenter): PromptableSegmenter => {
    const base = embeddingCache ? withEmbeddingCache(raw, embeddingCache) : raw;
    return options.eventLoopTurns === false ? base : withEventLoopTurns(base);
  };
  const segmenter = wrap(options.segmenter ?? createThreadedClassicSegmenter());
  const models = createPolicyModelResolver({ handcrafted: segmenter, wrap });
  const bundledDir = options.bundledPolicyDir ?? DEFAULT_BUNDLED;
  const cacheSize = options.cacheSize ?? 8;
  const cache = new Map<string, Promise<LoadedPolicy>>();

  /** The card of the task's bundled policy as shipped, or undefined when the deployment ships none. */
  // Cards read once: the bundled folder is part of the deployment (only shipped tasks are kept).
  const shippedCards = new Map<string, Promise<PolicyCard>>();
  const shippedCard = async (task: string): Promise<PolicyCard | undefined> => {
    let hit = shippedCards.get(task);
    if (!hit) {
      const path = join(bundledDir, task, "card.json");
      if (!existsSync(path)) return undefined;
      hit = readFile(path).then((bytes) => parseCard(new Uint8Array(bytes), path));
      hit.catch(() => shippedCards.delete(task));
      shippedCards.set(task, hit);
    }
    return hit;
  };
  /**
   * The card of the task's bundled policy when this worker's segmenter can run it. A bundled policy
   * trained on another segmenter (the shipped classic ones, on a worker with a SAM package) is
   * treated as absent: its state was built from another model's embedding, so it could only fail
   * or answer garbage. The task then has no policy on this worker until one is trained on it.
   */
  const bundledCard = async (task: string): Promise<PolicyCard | undefined> => {
    const card = await shippedCard(task);
    return card && models.serves(card) ? card : undefined;
  };

  const fromFiles = async (stored: StoredPolicy): Promise<LoadedPolicy> => {
    const where = `policies/${stored.task}/${stored.version}`;
    const card = parseCard(stored.files.get("card.json"), where);
    const chosen = await models.forCard(card);
    const policy = await loadPolicyFiles(stored.files, where, { segmenterInfo: chosen.segmenter.info });
    return { policy, models: chosen };
  };

  const fromBundle = async (task: string): Promise<LoadedPolicy> => {
    const dir = join(bundledDir, task);
    const card = await bundledCard(task);
    if (!card) throw new AlignSamError("POLICY_NOT_FOUND", `no policy card at ${dir}`);
    const chosen = await models.forCard(card);
    return { policy: await loadPolicy(dir, { segmenterInfo: chosen.segmenter.info }), models: chosen };
  };

  const policyFor = async (
    task: TaskDefinition,
    stored: StoredPolicy | null,
  ): Promise<{ key: string; load: () => Promise<LoadedPolicy> }> => {
    if (stored)
      return {
        key: `s3:${stored.tenant ?? "public"}/${stored.task}/${stored.version}`,
        load: () => fromFiles(stored),
      };
    const shipped = await shippedCard(task.name);
    if (!shipped) {
      throw new AlignSamError(
        "POLICY_NOT_FOUND",
        `task "${task.name}" has no trained policy yet; train one with a train job (POST a retraining request) first`,
        { task: task.name },
      );
    }
    if (!models.serves(shipped)) {
      const own = segmenter.info;
      throw new AlignSamError(
        "POLICY_NOT_FOUND",
        `task "${task.name}" has no policy for this worker's segmenter ${own.backend}/${own.modelId} yet (the bundled one was trained on ${shipped.segmenter.backend}/${shipped.segmenter.modelId}); train one on it: POST /v1/tasks/${task.name}/trainings with a labelled dataset (or a retraining webhook)`,
        { task: task.name, segmenter: own.modelId, bundled: shipped.segmenter.modelId },
      );
    }
    return { key: `bundled:${task.name}`, load: () => fromBundle(task.name) };
  };

  const resolvePolicy = async (task: TaskDefinition, stored: StoredPolicy | null): Promise<LoadedPolicy> => {
    const { key, load } = await policyFor(task, stored);
    let hit = cache.get(key);
    if (!hit) {
      hit = load();
      hit.catch(() => cache.delete(key));
      cache.set(key, hit);
      while (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    }
    return hit;
  };

  /** What a retraining runs on: the current policy's models, else the bundled one's, else the defaults. */
  const trainingModels = async (task: TaskDefinition, basis: StoredPolicy | null | undefined) => {
    const card = basis
      ? parseCard(basis.files.get("card.json"), `policies/${basis.task}/${basis.version}`)
      : await bundledCard(task.name);
    return card && card.task.name === task.name ? models.forCard(card) : models.defaults(task.branch);
  };

  const segment = async (request: SegmentRequest): Promise<SegmentOutcome> => {
    const { policy, models: chosen } = await resolvePolicy(request.task, request.policy);
    const result = await segmentImage(request.image, policy, {
      segmenter: chosen.segmenter,
      ...(chosen.prior !== undefined ? { prior: chosen.prior } : {}),
      steps: request.steps,
      greedy: request.greedy,
      seed: request.seed,
      texts: request.className ? [request.className] : undefined,
      keepStepMasks: request.keepSteps,
    });
    return {
      mask: result.mask,
      probability: result.probability,
      trajectory: result.trajectory.map((s) => ({
        step: s.step,
        x: s.point.x,
        y: s.point.y,
        label: s.label,
        ...(s.cell >= 0 ? { cell: s.cell } : {}),
        score: s.score,
      })),
      modelId: chosen.segmenter.info.modelId,
      policyVersion: request.policy?.version ?? `bundled:${request.task.name}`,
      method: "alignsam-ppo-srm",
      ...(result.stepMasks
        ? {
            steps: {
              lowResSize: result.stepMasks.size,
              logits: result.stepMasks.logits,
              srmMap: result.srmMap,
              ...(result.stepMasks.srmMaps.length > 0 ? { srmMaps: result.stepMasks.srmMaps } : {}),
            },
          }
        : {}),
    };
  };

  const scoreAll = (task: TaskDefinition, outcome: SegmentOutcome, groundTruth: LabelMap) =>
    evaluateImage(outcome.mask, groundTruth, { metrics: task.metrics, prob: outcome.probability });
  const scoreImage: Engine["scoreImage"] = (task, outcome, groundTruth) =>
    scoreAll(task, outcome, groundTruth).values;

  return {
    name: `core-pipeline/${segmenter.info.modelId}`,
    segment,
    scoreImage,
    async train(request): Promise<TrainedPolicy> {
      const chosen = await trainingModels(request.task, request.basis);
      const policy = await trainPolicy(
        request.samples.map((s) => ({ id: s.id, image: s.image, mask: s.mask })),
        request.task,
        {
          segmenter: chosen.segmenter,
          ...(chosen.prior !== undefined ? { prior: chosen.prior } : {}),
          seed: request.options.seed,
          steps: request.options.steps,
          epochs: request.options.episodes,
          ppoEpochs: request.options.ppoEpochs,
          lr: request.options.learningRate,
          srmMaxEpochs: request.options.srmMaxEpochs,
          srmAugment: request.options.srmAugment,
          // p.episode counts episodes over the whole run, p.episodes is the run's total.
          onProgress: (p) => {
            request.onDetail?.({
              phase: "ppo",
              episode: p.episode,
              episodes: p.episodes,
              meanReward: p.meanReward,
              elapsedMs: p.elapsedMs,
            });
            void Promise.resolve(request.onProgress?.(p.episode, p.episodes)).catch(() => {});
          },
          onPhase: (p) =>
            request.onDetail?.(
              p.phase === "encode"
                ? { phase: "encode", done: p.done, total: p.total }
                : { phase: "srm", loss: p.loss },
            ),
        },
      );
      const files = await encodePolicy(policy);
      return {
        files,
        info: {
          segmenter: chosen.segmenter.info.modelId,
          prior: policy.card.prior,
          trainingSet: policy.card.trainingSet,
          durationMs: policy.card.training.durationMs,
          finalMeanReward: policy.card.training.finalMeanReward,
        },
      };
    },
    async evaluatePolicy(task, stored, samples): Promise<PolicyScoreResult> {
      const metric = task.metrics[0];
      const results = [];
      for (const sample of samples) {
        const outcome = await segment({ task, image: sample.image, policy: stored, greedy: true, seed: 0 });
        results.push(scoreAll(task, outcome, sample.mask));
      }
      // The same dataset numbers as an evaluation job's (core's one aggregation).
      const { metrics } = summarizeImages(results, { metrics: task.metrics, iou: iouConventionFor(task) });
      const value = metrics[metric] ?? Number.NaN;
      return {
        metric,
        value,
        higherIsBetter: higherIsBetter(metric),
        perImage: results.map((r) => r.values),
      };
    },
  };
}
