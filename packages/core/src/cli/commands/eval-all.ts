/**
 * `alignsam eval-all` (`npm run eval:all`): the project's evaluation of every task against its
 * ablations, baselines and oracle clicks, or with --all-pairs a check of given policies on a user's
 * own folders; the flags are checked here and the run is the evaluation module's
 * (evaluation/eval-all/run.ts).
 */
import type { Command } from "commander";
import { runEvalAll } from "../../evaluation/eval-all/run.ts";
import { parseGalleryMode } from "../../evaluation/html/index.ts";
import { TRAINING_DEFAULTS } from "../../pipeline/defaults.ts";
import { defaultTaskRegistry } from "../../tasks/registry.ts";
import { intOption, stepsOption } from "../options.ts";
import { action, type GlobalOptions } from "../output.ts";
import { startProgress } from "../progress.ts";

interface EvalAllFlags {
  tasks?: string;
  dataDir?: string;
  allPairs: boolean;
  train: string;
  seed: string;
  trainEpochs: string;
  ppoEpochs: string;
  episodesPerUpdate: string;
  steps: string;
  sweep: string;
  maxTest?: string;
  policies: string;
  retrain: boolean;
  savePolicies: boolean;
  ruleCheck: boolean;
  vocAllClasses: boolean;
  out?: string;
  jsonDir?: string;
  renderOnly: boolean;
  htmlGallery: string;
  htmlDir?: string;
}

/** The command the report records: `npm run eval:all` with the flags this run was given. */
function recordedCommand(argv: readonly string[]): string {
  const flags = argv.slice(argv.indexOf("eval-all") + 1).join(" ");
  return flags === "" ? "npm run eval:all" : `npm run eval:all -- ${flags}`;
}

/** Registers `eval-all`. */
export function registerEvalAllCommand(program: Command): void {
  program
    .command("eval-all")
    .description(
      "evaluate AlignSAM, its ablations and the baselines on every task; write docs/EVALUATION.md and docs/evaluation/ (npm run eval:all)",
    )
    .option(
      "--tasks <list>",
      `comma-separated tasks (default: ${defaultTaskRegistry.names().join(",")}; with --all-pairs, those with a folder)`,
    )
    .option(
      "--data-dir <dir>",
      "datasets root, <dir>/<task>/{images,masks} (default: $ALIGNSAM_DATASETS, else ../shared/datasets)",
    )
    .option(
      "--all-pairs",
      "score the given --policies on EVERY pair of each task's folder, training nothing (PerSAM and the rule check, which need a training split or the reference datasets, are left out)",
      false,
    )
    .option("--train <n>", "training pairs per task (paper: 50)", "50")
    .option("--seed <n>", "split and training seed", "0")
    .option(
      "--train-epochs <n>",
      "E, passes over the training set when training",
      String(TRAINING_DEFAULTS.epochs),
    )
    .option("--ppo-epochs <n>", "K, PPO epochs per update when training", String(TRAINING_DEFAULTS.ppoEpochs))
    .option(
      "--episodes-per-update <n>",
      "episodes per PPO update when training",
      String(TRAINING_DEFAULTS.episodesPerUpdate),
    )
    .option("--steps <n>", "T, clicks per image", String(TRAINING_DEFAULTS.steps))
    .option("--sweep <list>", "T values of the mIoU-vs-T table (paper Table 5)", "1,5,10,15,20")
    .option("--max-test <n>", "score at most N test pairs per task (spread evenly over the ids); default all")
    .option(
      "--policies <dir>",
      "folder of shipped policies, <dir>/<task>/ (loaded when present and matching; --all-pairs: loaded as they are)",
      "policies",
    )
    .option("--retrain", "always train, ignoring shipped policies", false)
    .option("--save-policies", "save the policies trained in this run to <policies>/<task>/", false)
    .option("--no-rule-check", "skip re-measuring the BASELINES.md rules on every pair")
    .option("--voc-all-classes", "voc: keep the 60 non-VOC COCO classes too", false)
    .option(
      "--out <file>",
      "Markdown report (default: docs/EVALUATION.md; --all-pairs: alignsam-eval/all-pairs/EVALUATION.md)",
    )
    .option(
      "--json-dir <dir>",
      "JSON results folder (default: docs/evaluation; --all-pairs: alignsam-eval/all-pairs)",
    )
    .option("--render-only", "rewrite the Markdown from <json-dir>/report.json without evaluating", false)
    .option(
      "--html-gallery <mode>",
      "gallery of the HTML reports: none (ids and metrics; the committed copy), masks-only or images (dataset pixels: never commit)",
      "none",
    )
    .option("--html-dir <dir>", "folder of the per-task HTML reports (default: --json-dir)")
    .action(
      action(
        async (flags: EvalAllFlags) => {
          const plain = program.opts<GlobalOptions>().json === true;
          await runEvalAll({
            ...(flags.tasks !== undefined ? { tasks: flags.tasks } : {}),
            ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
            allPairs: flags.allPairs,
            settings: {
              train: intOption(flags.train, "--train"),
              seed: intOption(flags.seed, "--seed"),
              epochs: intOption(flags.trainEpochs, "--train-epochs"),
              ppoEpochs: intOption(flags.ppoEpochs, "--ppo-epochs"),
              episodesPerUpdate: intOption(flags.episodesPerUpdate, "--episodes-per-update"),
              steps: stepsOption(flags.steps),
              sweep: flags.sweep.split(",").map((s) => intOption(s.trim(), "--sweep")),
              maxTest:
                flags.maxTest === undefined
                  ? Number.POSITIVE_INFINITY
                  : intOption(flags.maxTest, "--max-test"),
            },
            policies: flags.policies,
            retrain: flags.retrain,
            savePolicies: flags.savePolicies,
            ruleCheck: flags.ruleCheck,
            vocAllClasses: flags.vocAllClasses,
            ...(flags.out !== undefined ? { out: flags.out } : {}),
            ...(flags.jsonDir !== undefined ? { jsonDir: flags.jsonDir } : {}),
            renderOnly: flags.renderOnly,
            gallery: parseGalleryMode(flags.htmlGallery),
            ...(flags.htmlDir !== undefined ? { htmlDir: flags.htmlDir } : {}),
            command: recordedCommand(process.argv),
            progress: (label, total) => startProgress(label, total, { plain }),
            log: (line) => process.stderr.write(`${line}\n`),
          });
        },
        () => program.opts<GlobalOptions>().json === true,
      ),
    );
}
