/**
 * Training time of one task with the paper's settings (T = 15, K = 20 PPO epochs, lr 1e-4; the
 * project's defaults for the rest), measured on a short run and extrapolated per episode to the
 * full one (50 images x 50 epochs = 2500 episodes): encode and preparation are per image, the rest
 * per episode. `train-time.ts` is the standalone script that runs the full thing.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  loadDataset,
  loadPair,
  resolveDatasetsRoot,
  splitTrainTest,
} from "../../packages/core/src/datasets/index.ts";
import { createClassicSegmenter } from "../../packages/core/src/models/classic/index.ts";
import type { PromptableSegmenter } from "../../packages/core/src/models/ports.ts";
import {
  type TrainingSample,
  type TrainTimings,
  trainPolicy,
} from "../../packages/core/src/pipeline/train.ts";
import { defaultTaskRegistry } from "../../packages/core/src/tasks/registry.ts";
import { initTf } from "../../packages/core/src/tf/backend.ts";
import { loadBaseline } from "./baseline.ts";

export interface TrainBreakdown {
  readonly task: string;
  readonly images: number;
  readonly epochs: number;
  readonly episodes: number;
  readonly decodes: number;
  readonly timings: TrainTimings;
  /** CPU time of this process during trainPolicy (user + system, ms): steadier than wall under load. */
  readonly cpuMs: number;
  /** Milliseconds per episode of the per-episode parts (decode, agent, state, SRM, PPO). */
  readonly perEpisodeMs: Record<string, number>;
  /** Extrapolated wall seconds of the full run (fullImages x fullEpochs episodes). */
  readonly fullRunSeconds: number;
  readonly fullImages: number;
  readonly fullEpochs: number;
}

const PER_EPISODE = ["decodeMs", "agentForwardMs", "stateMs", "ppoMs"] as const;

/** Trains `images` x `epochs` episodes of `task` on the segmenter and reports where the time went. */
export async function trainBreakdown(options: {
  task: string;
  segmenter: PromptableSegmenter;
  images: number;
  epochs: number;
  fullImages?: number;
  fullEpochs?: number;
}): Promise<TrainBreakdown> {
  const task = defaultTaskRegistry.get(options.task);
  const dataset = await loadDataset(task.dataset ?? task.name, { root: resolveDatasetsRoot() });
  const split = splitTrainTest(dataset.pairs, { train: options.images, seed: 1 });
  const samples: TrainingSample[] = [];
  for (const pair of split.train) {
    const { image, mask } = await loadPair(pair, { resizeMask: true });
    samples.push({ id: pair.id, image, mask, ...(pair.classes ? { texts: pair.classes } : {}) });
  }
  const cpu0 = process.cpuUsage();
  const policy = await trainPolicy(samples, task, {
    segmenter: options.segmenter,
    seed: 1,
    epochs: options.epochs,
    prior: "none",
  });
  const cpu = process.cpuUsage(cpu0);
  const recorded = policy.card.training.timingsMs;
  const timings: TrainTimings = {
    encodeMs: recorded.encodeMs ?? 0,
    prepareMs: recorded.prepareMs ?? 0,
    priorMs: recorded.priorMs ?? 0,
    decodeMs: recorded.decodeMs ?? 0,
    agentForwardMs: recorded.agentForwardMs ?? 0,
    stateMs: recorded.stateMs ?? 0,
    srmFitMs: recorded.srmFitMs ?? 0,
    curveMs: recorded.curveMs ?? 0,
    ppoMs: recorded.ppoMs ?? 0,
    totalMs: recorded.totalMs ?? 0,
  };
  const episodes = policy.card.training.episodes;
  const steps = policy.card.hyperparameters.steps;
  policy.dispose();
  const perEpisodeMs: Record<string, number> = {};
  let episodeMs = 0;
  for (const k of PER_EPISODE) {
    perEpisodeMs[k] = timings[k] / episodes;
    episodeMs += perEpisodeMs[k];
  }
  const fullImages = options.fullImages ?? 50;
  const fullEpochs = options.fullEpochs ?? 50;
  const perImageMs = (timings.encodeMs + timings.prepareMs + timings.priorMs) / samples.length;
  // What the per-stage sums do not cover (episode bookkeeping, logging) scales with episodes too.
  const covered =
    PER_EPISODE.reduce((a, k) => a + timings[k], 0) +
    timings.encodeMs +
    timings.prepareMs +
    timings.priorMs +
    timings.srmFitMs;
  const otherPerEpisode = Math.max(0, timings.totalMs - covered) / episodes;
  const fullRunSeconds =
    (perImageMs * fullImages +
      (timings.srmFitMs * fullImages) / samples.length +
      (episodeMs + otherPerEpisode) * fullImages * fullEpochs) /
    1000;
  return {
    task: options.task,
    images: samples.length,
    epochs: options.epochs,
    episodes,
    decodes: episodes * (steps + 1),
    timings,
    cpuMs: (cpu.user + cpu.system) / 1000,
    perEpisodeMs,
    fullRunSeconds,
    fullImages,
    fullEpochs,
  };
}

// As a script (bench/run.ts runs it in a child process, once per tfjs backend, since the backend
// is chosen once per process): prints the TrainBreakdown as JSON on stdout.
//   node bench/core/train-breakdown.ts --task blur --images 5 --epochs 1 [--baseline]
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: {
      task: { type: "string", default: "blur" },
      images: { type: "string", default: "5" },
      epochs: { type: "string", default: "1" },
      baseline: { type: "boolean", default: false },
    },
  });
  const tf = await initTf();
  const segmenter = values.baseline
    ? (await loadBaseline()).createClassicSegmenter()
    : createClassicSegmenter();
  const result = await trainBreakdown({
    task: values.task,
    segmenter,
    images: Number(values.images),
    epochs: Number(values.epochs),
  });
  process.stdout.write(
    `${JSON.stringify({ ...result, tfBackend: tf.backend, baseline: values.baseline })}\n`,
  );
}
