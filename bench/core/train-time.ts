/**
 * Trains one task from the real datasets with trainPolicy's defaults (the paper's E, T, K, lr, g, eps,
 * q; PPO every 5 episodes, SRM per episode: see TrainOptions) or overrides, on the classic
 * backend and prints where the time goes: encode, decode, agent forward, state building, SRM,
 * PPO. Optionally evaluates the policy on held-out images against the no-RL ablation.
 *
 *   npm exec -- node bench/core/train-time.ts --task blur [--epochs 50] [--steps 15]
 *     [--ppo-epochs 20] [--train 50] [--episodes-per-update N] [--srm-schedule action|episode]
 *     [--eval 20] [--save /tmp/policy-blur] [--prior none] [--reward paper|iou-gain]
 *     [--agent-input state|state+srm] [--entropy X] [--gamma X] [--json docs/evaluation/train-time.json]
 *
 * --json writes the settings, the time breakdown, the machine and the held-out comparison as JSON;
 * `npm run eval:all` shows that file's numbers in docs/EVALUATION.md ("Training time").
 *
 * --eval N scores the first N test pairs with the policy (greedy) and with random clicks (the no-RL
 * ablation, same SRM, same seed) and prints the paired difference of IoU and MAE.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  loadDataset,
  loadPair,
  resolveDatasetsRoot,
  splitTrainTest,
} from "../../packages/core/src/datasets/index.ts";
import { iou } from "../../packages/core/src/metrics/iou.ts";
import { createClassicSegmenter } from "../../packages/core/src/models/classic/index.ts";
import { segmentImage } from "../../packages/core/src/pipeline/segment.ts";
import { type TrainingSample, trainPolicy } from "../../packages/core/src/pipeline/train.ts";
import { savePolicy } from "../../packages/core/src/policy/store.ts";
import { defaultTaskRegistry } from "../../packages/core/src/tasks/registry.ts";
import { initTf } from "../../packages/core/src/tf/backend.ts";

const { values: args } = parseArgs({
  options: {
    task: { type: "string", default: "blur" },
    epochs: { type: "string", default: "50" },
    steps: { type: "string", default: "15" },
    "ppo-epochs": { type: "string", default: "20" },
    train: { type: "string", default: "50" },
    "episodes-per-update": { type: "string" },
    "srm-schedule": { type: "string" },
    "srm-updates": { type: "string" },
    lr: { type: "string", default: "1e-4" },
    eval: { type: "string", default: "0" },
    save: { type: "string" },
    prior: { type: "string" },
    seed: { type: "string", default: "1" },
    reward: { type: "string" },
    "agent-input": { type: "string" },
    entropy: { type: "string" },
    gamma: { type: "string" },
    json: { type: "string" },
  },
});
const loadAtStart = loadavg();
const startedAt = new Date().toISOString();

const task = defaultTaskRegistry.get(args.task);
const tfInit = await initTf();
console.log(
  `tfjs backend: ${tfInit.backend}`,
  tfInit.skipped.length ? `(skipped: ${JSON.stringify(tfInit.skipped)})` : "",
);
const dataset = await loadDataset(task.dataset ?? task.name, { root: resolveDatasetsRoot() });
const split = splitTrainTest(dataset.pairs, { train: Number(args.train), seed: Number(args.seed) });
const t0 = performance.now();
const samples: TrainingSample[] = [];
for (const pair of split.train) {
  const { image, mask } = await loadPair(pair, { resizeMask: true });
  samples.push({ id: pair.id, image, mask, ...(pair.classes ? { texts: pair.classes } : {}) });
}
console.log(`loaded ${samples.length} training pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const segmenter = createClassicSegmenter();
let lastLog = 0;
const policy = await trainPolicy(samples, task, {
  segmenter,
  seed: Number(args.seed),
  epochs: Number(args.epochs),
  steps: Number(args.steps),
  ppoEpochs: Number(args["ppo-epochs"]),
  lr: Number(args.lr),
  ...(args["episodes-per-update"] ? { episodesPerUpdate: Number(args["episodes-per-update"]) } : {}),
  ...(args["srm-schedule"] ? { srmSchedule: args["srm-schedule"] as "action" | "episode" } : {}),
  ...(args["srm-updates"] ? { srmUpdates: Number(args["srm-updates"]) } : {}),
  ...(args.prior === "none" ? { prior: "none" as const } : {}),
  ...(args.reward ? { reward: args.reward as "paper" | "iou-gain" } : {}),
  ...(args["agent-input"] ? { agentInput: args["agent-input"] as "state" | "state+srm" } : {}),
  ...(args.entropy ? { entropy: Number(args.entropy) } : {}),
  ...(args.gamma ? { gamma: Number(args.gamma) } : {}),
  onProgress: (p) => {
    if (p.elapsedMs - lastLog > 15_000 || p.episode === p.episodes) {
      lastLog = p.elapsedMs;
      console.log(
        `epoch ${p.epoch}/${p.epochs} episode ${p.episode}/${p.episodes} reward ${p.meanReward.toFixed(2)} ` +
          `actor ${p.actorLoss.toFixed(3)} critic ${p.criticLoss.toFixed(3)} ` +
          `${(p.elapsedMs / 1000).toFixed(0)} s`,
      );
    }
  },
});
const tm = policy.card.training.timingsMs;
const hp = policy.card.hyperparameters;
const decodes = policy.card.training.episodes * (hp.steps + 1);
console.log("\nsettings", JSON.stringify(hp));
console.log(
  `episodes ${policy.card.training.episodes}, final-epoch mean reward ${policy.card.training.finalMeanReward.toFixed(3)}`,
);
console.log("time breakdown (s):");
for (const [k, v] of Object.entries(tm)) console.log(`  ${k.padEnd(16)} ${(v / 1000).toFixed(1)}`);
const cpu = process.cpuUsage();
console.log(
  `  process CPU time ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s (user ${(cpu.user / 1e6).toFixed(0)}, system ` +
    `${(cpu.system / 1e6).toFixed(0)}) for ${(tm.totalMs / 1000).toFixed(0)} s wall: wall >> CPU means a busy machine`,
);
console.log(`  decode per call  ${(tm.decodeMs / decodes).toFixed(1)} ms over ~${decodes} calls`);
if (args.save) {
  await savePolicy(policy, args.save);
  console.log(`saved to ${args.save}`);
}

const nEval = Number(args.eval);
const held: { images: number; mIoU: Record<string, number>; pairedIou?: { mean: number; se: number } } = {
  images: 0,
  mIoU: {},
};
if (nEval > 0) {
  const variants = ["none", "no-rl"] as const;
  const results: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  const hits: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  const errors: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  for (const pair of split.test.slice(0, nEval)) {
    const { image, mask } = await loadPair(pair, { resizeMask: true });
    for (const variant of variants) {
      const out = await segmentImage(image, policy, {
        segmenter,
        ablation: variant,
        seed: 1,
        ...(pair.classes ? { texts: pair.classes } : {}),
      });
      results[variant].push(iou(out.mask, mask));
      let wrong = 0;
      for (let i = 0; i < mask.data.length; i++) if (out.mask.data[i] !== mask.data[i]) wrong++;
      errors[variant].push(wrong / mask.data.length);
      const clicks = out.trajectory.filter((t) => t.step > 0);
      const fg = clicks.filter(
        (t) => mask.data[Math.floor(t.point.y) * mask.width + Math.floor(t.point.x)] === 1,
      ).length;
      hits[variant].push(clicks.length ? fg / clicks.length : 0);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(
    `\nheld-out evaluation on ${results.none.length} test images (classic backend, T=${hp.steps}):`,
  );
  for (const k of Object.keys(results)) {
    console.log(
      `  ${k.padEnd(7)} mIoU ${(100 * mean(results[k])).toFixed(2)}  MAE ${mean(errors[k]).toFixed(3)}  foreground-click rate ${mean(hits[k]).toFixed(3)}`,
    );
  }
  const paired = (a: number[], b: number[]) => {
    const d = a.map((x, i) => x - b[i]);
    const m = mean(d);
    const sd = Math.sqrt(d.reduce((acc, x) => acc + (x - m) ** 2, 0) / Math.max(1, d.length - 1));
    return `${m >= 0 ? "+" : ""}${m.toFixed(4)} (standard error ${(sd / Math.sqrt(Math.max(1, d.length))).toFixed(4)})`;
  };
  console.log(
    `  AlignSAM - no-RL: IoU ${paired(results.none, results["no-rl"])}, MAE ${paired(errors.none, errors["no-rl"])}`,
  );
  held.images = results.none.length;
  for (const k of Object.keys(results)) held.mIoU[k] = 100 * mean(results[k]);
  const d = results.none.map((x, i) => x - results["no-rl"][i]);
  const m = mean(d);
  const sd = Math.sqrt(d.reduce((acc, x) => acc + (x - m) ** 2, 0) / Math.max(1, d.length - 1));
  held.pairedIou = { mean: 100 * m, se: (100 * sd) / Math.sqrt(Math.max(1, d.length)) };
}
if (args.json) {
  const argv = process.argv.slice(2).join(" ");
  const report = {
    command: `npm exec -- node bench/core/train-time.ts ${argv}`,
    startedAt,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      tfBackend: tfInit.backend,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg(),
    },
    task: task.name,
    trainImages: samples.length,
    settings: hp,
    episodes: policy.card.training.episodes,
    timingsMs: tm,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    heldOut: held,
  };
  await mkdir(dirname(args.json), { recursive: true });
  await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${args.json}`);
}
policy.dispose();
