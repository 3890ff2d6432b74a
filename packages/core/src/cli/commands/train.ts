/**
 * `alignsam train --task T`: the paper's few-shot training on a task's dataset folder (seeded split,
 * `--samples` training pairs), a score on part of the held-out split recorded in the policy card, and
 * the policy saved where `segment` looks for it by default.
 */
import type { Command } from "commander";
import { loadPair } from "../../datasets/pair.ts";
import { AlignSamError } from "../../errors.ts";
import { alignSamMethod } from "../../evaluation/alignsam-methods.ts";
import { evaluate } from "../../evaluation/evaluate.ts";
import { formatMetric } from "../../evaluation/report.ts";
import { spread } from "../../evaluation/task-pairs.ts";
import { TRAINING_DEFAULTS as D, PAPER_DEFAULTS } from "../../pipeline/defaults.ts";
import type { PriorChoice } from "../../pipeline/prepare.ts";
import { trainPolicy } from "../../pipeline/train.ts";
import type { PolicyCard } from "../../policy/card.ts";
import { makePolicy } from "../../policy/policy.ts";
import { savePolicy } from "../../policy/store.ts";
import type { Progress } from "../../util/progress.ts";
import { BACKEND_FLAG_HELP, openBackend, PRIOR_CHOICES } from "../backend.ts";
import { defaultPolicyDir, intOption, optionalInt, stepsOption, taskOption } from "../options.ts";
import { action, emit, type GlobalOptions } from "../output.ts";
import { startProgress } from "../progress.ts";
import { loadSamples, loadTaskSplit } from "../task-data.ts";
import { trainPrior } from "../train-prior.ts";
import { type RemoteTrainFlags, trainRemote } from "./remote-commands.ts";

interface TrainFlags extends RemoteTrainFlags {
  task: string;
  data?: string;
  samples: string;
  epochs?: string;
  ppoEpochs?: string;
  episodesPerUpdate?: string;
  steps?: string;
  lr?: string;
  srmLr?: string;
  reward?: string;
  seed: string;
  prior?: string;
  eval: string;
  out?: string;
  samManifest?: string;
  clipManifest?: string;
  encoder?: string;
  actorInit?: string;
  srmMembers?: string;
  srmAugment?: string;
  srmMaxEpochs?: string;
  curve: string;
  curveEvery: string;
  curveRandomInit: boolean;
}

/** A positive learning-rate flag as `{[key]: value}`, or nothing when the flag is absent. */
function learningRate(
  value: string | undefined,
  flag: string,
  key: "lr" | "srmLr",
): { lr?: number; srmLr?: number } {
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) {
    throw new AlignSamError("INVALID_ARGUMENT", `${flag} must be a number in (0, 1), got "${value}"`);
  }
  return { [key]: n };
}

const REWARDS = ["paper", "iou-gain"] as const;
const ACTOR_INITS = ["rule", "random"] as const;

function actorInitOption(value: string | undefined): { actorInit?: (typeof ACTOR_INITS)[number] } {
  if (value === undefined) return {};
  if (!(ACTOR_INITS as readonly string[]).includes(value)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `--actor-init must be one of: ${ACTOR_INITS.join(", ")}; got "${value}"`,
    );
  }
  return { actorInit: value as (typeof ACTOR_INITS)[number] };
}

function rewardOption(value: string | undefined): { reward?: (typeof REWARDS)[number] } {
  if (value === undefined) return {};
  const v = value;
  if (!(REWARDS as readonly string[]).includes(v)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `--reward must be one of: ${REWARDS.join(", ")}; got "${v}"`,
      {
        valid: [...REWARDS],
      },
    );
  }
  return { reward: v as (typeof REWARDS)[number] };
}

/** Registers `train`. */
export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("train a task's policy (PPO agent + SRM) on its dataset folder and save it")
    .requiredOption("--task <task>", "task to train")
    .option("--data <dir>", "datasets root (default: $ALIGNSAM_DATASETS, else ../shared/datasets)")
    .option("--samples <n>", "training pairs (paper: 50)", "50")
    .option(
      "--epochs <n>",
      `E, passes over the training pairs (default ${D.epochs}; paper ${PAPER_DEFAULTS.epochs})`,
    )
    .option("--ppo-epochs <n>", `K, PPO epochs per update (default ${D.ppoEpochs})`)
    .option("--episodes-per-update <n>", `episodes per PPO update (default ${D.episodesPerUpdate}; paper 1)`)
    .option("--steps <n>", `T, clicks per episode (default ${D.steps})`)
    .option("--lr <x>", `Adam learning rate of the agent (default ${D.lr})`)
    .option(
      "--actor-init <kind>",
      "rule (default: start at the fixable-disagreement rule) or random (zero cue read-out)",
    )
    .option("--srm-members <n>", `SRM cross-fitting folds = ensemble members (default ${D.srmMembers})`)
    .option("--srm-augment <n>", `augmented copies per training image for the SRM (default ${D.srmAugment})`)
    .option(
      "--srm-max-epochs <n>",
      `bound on the SRM's supervised epochs per member (default ${D.srmMaxEpochs})`,
    )
    .option("--curve <n>", "record learning curves on N held-out pairs (0: none)", "0")
    .option("--curve-every <n>", "PPO updates between learning-curve points", "10")
    .option(
      "--curve-random-init",
      "also train a randomly started agent on the same SRM maps for its curve",
      false,
    )
    .option(
      "--reward <kind>",
      "agent reward: iou-gain (default: the click's gain in mask IoU) or paper (+1/-1 click on foreground)",
    )
    .option("--srm-lr <x>", `Adam learning rate of the SRM (default ${D.srmLr})`)
    .option("--seed <n>", "seed of the split and of training", "0")
    .option(
      "--prior <name>",
      `explicit-branch prior: ${PRIOR_CHOICES.join(" | ")} (default: CLIP Surgery with --clip-manifest, else centernet when the task's texts are COCO classes; none trains with M_c = 1)`,
    )
    .option("--eval <n>", "score the trained policy on at most N held-out pairs (0: skip)", "30")
    .option("--out <dir>", "policy folder or s3://bucket/prefix (default: <repo>/policies/<task>/)")
    .option("--sam-manifest <uri>", BACKEND_FLAG_HELP.sam)
    .option("--clip-manifest <uri>", BACKEND_FLAG_HELP.clip)
    .option("--encoder <name>", BACKEND_FLAG_HELP.encoder)
    .option(
      "--remote",
      "train on the service instead (with --dataset, --url, --key): follows its progress and report",
    )
    .option("--dataset <id>", "with --remote: a dataset id from `alignsam datasets upload`")
    .option(
      "--url <url>",
      "with --remote: the service (default: $ALIGNSAM_API_URL, else http://localhost:3000)",
    )
    .option("--key <key>", "with --remote: API key (default: $ALIGNSAM_API_KEY)")
    .action(
      action(
        async (flags: TrainFlags & { remote?: boolean }) => {
          if (flags.remote) return trainRemote(program, flags);
          const started = performance.now();
          const global = program.opts<GlobalOptions>();
          const plain = global.json === true;
          const task = taskOption(flags.task);
          const samples = intOption(flags.samples, "--samples", 1);
          const seed = intOption(flags.seed, "--seed");
          const evalCount = intOption(flags.eval, "--eval");
          const hyper = {
            epochs: optionalInt(flags.epochs, "--epochs", 1),
            ppoEpochs: optionalInt(flags.ppoEpochs, "--ppo-epochs", 1),
            episodesPerUpdate: optionalInt(flags.episodesPerUpdate, "--episodes-per-update", 1),
            steps: stepsOption(flags.steps),
            ...learningRate(flags.lr, "--lr", "lr"),
            ...learningRate(flags.srmLr, "--srm-lr", "srmLr"),
            ...rewardOption(flags.reward),
            ...actorInitOption(flags.actorInit),
            srmMembers: optionalInt(flags.srmMembers, "--srm-members", 1),
            srmAugment: optionalInt(flags.srmAugment, "--srm-augment"),
            srmMaxEpochs: optionalInt(flags.srmMaxEpochs, "--srm-max-epochs", 1),
          };
          const curveCount = intOption(flags.curve, "--curve");
          const curveEvery = intOption(flags.curveEvery, "--curve-every", 1);
          const priorFlag = trainPrior(task, flags);
          const out = flags.out ?? defaultPolicyDir(task.name);
          const split = await loadTaskSplit(task, { root: flags.data, samples, seed });
          const backend = await openBackend({ ...flags, prior: priorFlag });
          const prior: PriorChoice = task.branch === "explicit" ? (backend.prior ?? "none") : undefined;
          try {
            const trainSamples = await loadSamples(split.train, plain);
            // Curve images come from the far end of the held-out split, the --eval images from the front.
            const curveSamples =
              curveCount > 0 ? await loadSamples(spread([...split.test].reverse(), curveCount), plain) : [];
            let progress: Progress | undefined;
            // Mean reward of the current epoch's episodes so far: one episode's reward is too noisy to read.
            const epochReward = { epoch: 0, sum: 0, count: 0 };
            let policy = await trainPolicy(trainSamples, task, {
              segmenter: backend.segmenter,
              seed,
              ...(prior !== undefined ? { prior } : {}),
              ...hyper,
              ...(curveSamples.length > 0
                ? { curve: { samples: curveSamples, every: curveEvery, randomInit: flags.curveRandomInit } }
                : {}),
              onPhase: (p) => {
                if (plain) return;
                if (p.phase === "encode" && (p.done === p.total || p.done % 25 === 0))
                  process.stderr.write(`encode ${p.done}/${p.total}\n`);
                if (p.phase === "srm")
                  process.stderr.write(
                    `srm member ${p.member + 1}/${p.members} epoch ${p.epoch} loss ${p.loss.toFixed(3)} held-out IoU ${p.valIou.toFixed(3)}\n`,
                  );
              },
              onProgress: (p) => {
                progress ??= startProgress("train", p.episodes, { plain });
                if (epochReward.epoch !== p.epoch)
                  Object.assign(epochReward, { epoch: p.epoch, sum: 0, count: 0 });
                epochReward.sum += p.meanReward;
                epochReward.count++;
                const mean = epochReward.sum / epochReward.count;
                progress.update(p.episode, `epoch ${p.epoch}/${p.epochs} mean reward ${mean.toFixed(3)}`);
              },
            });
            progress?.stop();
            trainSamples.length = 0;
            let metrics: PolicyCard["metrics"];
            const test = spread(split.test, evalCount);
            if (test.length > 0) {
              let iouSum = 0;
              const scoring = startProgress("evaluate", test.length, { plain });
              const { summary } = await evaluate(
                alignSamMethod(policy, {
                  segmenter: backend.segmenter,
                  ...(prior !== undefined ? { prior } : {}),
                }),
                test,
                task,
                {
                  load: (p) => loadPair(p),
                  onProgress: (done, _total, r) => {
                    iouSum += r.metrics.mIoU ?? 0;
                    scoring.increment(`mean IoU ${formatMetric("mIoU", iouSum / done)}`);
                  },
                },
              );
              scoring.stop();
              const values = Object.fromEntries(
                Object.entries(summary.metrics).filter(([, v]) => Number.isFinite(v)),
              );
              metrics = {
                split: `test (seed ${seed}, ${test.length} of ${split.test.length} held-out pairs)`,
                count: test.length,
                values,
              };
              policy = makePolicy({ ...policy.card, metrics }, policy.net, policy.srm, policy.featureStats);
            }
            await savePolicy(policy, out);
            const card = policy.card;
            policy.dispose();
            const totalMs = performance.now() - started;
            emit(
              global,
              () =>
                [
                  `trained ${task.name} (${task.branch} branch) on ${card.trainingSet.count} pairs of ${split.dataset} in ${(totalMs / 1000).toFixed(1)} s`,
                  `  segmenter ${card.segmenter.backend} ${card.segmenter.modelId}, prior ${card.prior.kind === "model" ? `${card.prior.backend}/${card.prior.modelId}` : card.prior.kind}`,
                  `  ${card.training.episodes} episodes, E = ${card.hyperparameters.epochs}, T = ${card.hyperparameters.steps}, K = ${card.hyperparameters.ppoEpochs}, final mean reward ${card.training.finalMeanReward.toFixed(3)}`,
                  metrics
                    ? `  ${metrics.split}: ${Object.entries(metrics.values)
                        .map(([m, v]) => `${m} ${formatMetric(m, v)}`)
                        .join(", ")}`
                    : "  not evaluated (--eval 0 or no held-out pairs)",
                  `  policy saved to ${out}`,
                ].join("\n"),
              () => ({
                task: task.name,
                dataset: split.dataset,
                policy: out,
                totalMs,
                trainingSet: card.trainingSet,
                training: card.training,
                hyperparameters: card.hyperparameters,
                segmenter: card.segmenter,
                prior: card.prior,
                metrics: metrics ?? null,
                ...(split.note ? { note: split.note } : {}),
              }),
            );
          } finally {
            await backend.dispose();
          }
        },
        () => program.opts<GlobalOptions>().json === true,
      ),
    );
}
