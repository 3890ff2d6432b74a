/**
 * The project's evaluation: for every task, split (fixed seed, 50 train), train the AlignSAM policy on
 * the classic backend (or load a shipped one that matches), then score on the test split AlignSAM,
 * its ablations, the segmenter baselines and the BASELINES.md rules; writes docs/EVALUATION.md and
 * JSON beside it under docs/evaluation/.
 *
 * Run: npm exec -- node packages/core/bench/evaluate-all.ts [--tasks blur,shadow] [--train-epochs 5]
 *      [--max-test N] [--steps 15] [--policies DIR] [--retrain] [--save-policies] [--out FILE]
 *      [--render-only] [--html-gallery none|masks-only|images] [--html-dir DIR]
 *      [--data-dir DIR] [--all-pairs]
 *
 * `--all-pairs` is a user's check of given policies on their own folder: every pair of each task's
 * folder under --data-dir is scored with the policies in --policies, nothing is trained, and the
 * report goes to alignsam-eval/all-pairs/ (git-ignored) instead of docs/ (./evaluate-all-mode.ts).
 *
 * Beside the Markdown it writes one self-contained HTML report per task, <html-dir>/<task>.html,
 * rendered from the saved JSON (see ./evaluation-html.ts). Its gallery defaults to "none" because
 * the docs/ copy is committed and may not carry dataset pixels; `--render-only --html-gallery
 * images --html-dir out/html` rewrites the pages with pictures from the saved results and the
 * shipped policies, without evaluating again.
 */
import { readFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import { Command } from "commander";
import { type DatasetPair, loadDataset, loadPair } from "../src/datasets/index.ts";
import { findRepositoryRoot } from "../src/datasets/root.ts";
import {
  alignSamMethod,
  srmAloneMethod,
  stepSweepMethods,
  withInitialActor,
} from "../src/evaluation/alignsam-methods.ts";
import { cachingSegmenter } from "../src/evaluation/caching-segmenter.ts";
import { pairedDifference, verdict } from "../src/evaluation/compare.ts";
import { type EvaluationMethod, type EvaluationResult, evaluateMany } from "../src/evaluation/evaluate.ts";
import {
  EVALUATION_CONVENTIONS,
  type EvaluationReport,
  renderEvaluationDoc,
  type TaskEvaluation,
} from "../src/evaluation/evaluation-doc.ts";
import {
  alignSamGallery,
  type GalleryCase,
  parseGalleryMode,
  readSavedReport,
} from "../src/evaluation/html/index.ts";
import { obtainPolicy, type PolicySample } from "../src/evaluation/policy-source.ts";
import { openJsonlWriter, summaryToJson, writeText } from "../src/evaluation/report.ts";
import {
  centreClickMethod,
  oracleClicksMethod,
  perSamMethod,
} from "../src/evaluation/segmenter-baselines.ts";
import { BASELINES_REFERENCE, ruleMethods } from "../src/evaluation/suite.ts";
import { taskPairs } from "../src/evaluation/task-pairs.ts";
import { createClassicSegmenter } from "../src/models/classic/index.ts";
import { TRAINING_DEFAULTS } from "../src/pipeline/defaults.ts";
import { defaultTaskRegistry, type TaskDefinition } from "../src/tasks/registry.ts";
import { activeTfBackend } from "../src/tf/backend.ts";
import { loadGivenPolicy, resolveMode, selectPairs } from "./evaluate-all-mode.ts";
import { renderOnlyGallery, writeTaskHtml } from "./evaluation-html.ts";

const program = new Command()
  .name("evaluate-all")
  .description("Evaluate AlignSAM, its ablations and the baselines on every task; write docs/EVALUATION.md")
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
  .option("--html-dir <dir>", "folder of the per-task HTML reports (default: --json-dir)");

interface Args {
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

const args = program.parse().opts<Args>();
const repo = findRepositoryRoot();
const mode = await resolveMode(args);
const root = mode.root;
const int = (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
};
const settings = {
  train: int(args.train, "train"),
  seed: int(args.seed, "seed"),
  epochs: int(args.trainEpochs, "train-epochs"),
  ppoEpochs: int(args.ppoEpochs, "ppo-epochs"),
  episodesPerUpdate: int(args.episodesPerUpdate, "episodes-per-update"),
  steps: int(args.steps, "steps"),
  sweep: args.sweep.split(",").map((s) => int(s.trim(), "sweep")),
  maxTest: args.maxTest === undefined ? Number.POSITIVE_INFINITY : int(args.maxTest, "max-test"),
};
const tasks: readonly TaskDefinition[] = mode.tasks;
const jsonDir = resolve(repo, mode.jsonDir);
const htmlDirs = { json: jsonDir, html: resolve(repo, args.htmlDir ?? mode.jsonDir) };
const galleryMode = parseGalleryMode(args.htmlGallery);
/** Gallery cases with pictures, per task, made while the task's policy is loaded. */
const galleries = new Map<string, GalleryCase[]>();
const started = performance.now();

function bar(label: string, total: number): SingleBar {
  const b = new SingleBar({
    format: `${label.padEnd(28)} [{bar}] {value}/{total} {eta_formatted} {detail}`,
    hideCursor: true,
    etaBuffer: 20,
    // Redirected to a file: a line every 15 s instead of nothing.
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 15_000,
  });
  b.start(total, 0, { detail: "" });
  return b;
}

/**
 * At most `max` items spread evenly over the list: ids sort by source (blur: motion* before
 * out_of_focus*; voc: by class name), so taking the first N would score one kind of image only.
 */
function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]);
}

/** Evaluates one task end to end. */
/** The row that isolates what PPO adds: the same policy with its actor as training started it. */
const INITIAL_ACTOR = "AlignSAM, actor before PPO";

async function evaluateTask(task: TaskDefinition): Promise<TaskEvaluation> {
  const taskStarted = performance.now();
  const datasetName = task.dataset ?? task.name;
  const dataset = await loadDataset(datasetName, { root });
  const pairs = await taskPairs(task, dataset, { vocAllClasses: args.vocAllClasses });
  const split = selectPairs(pairs.pairs, {
    allPairs: mode.allPairs,
    train: settings.train,
    seed: settings.seed,
  });
  const test = spread(split.test, settings.maxTest);
  const segmenter = cachingSegmenter(createClassicSegmenter());

  const loading = bar(`${task.name}: load train`, split.train.length);
  const trainSamples: PolicySample[] = [];
  for (const p of split.train) {
    const { image, mask } = await loadPair(p);
    trainSamples.push({ id: p.id, image, mask, ...(p.classes ? { texts: p.classes } : {}) });
    loading.increment();
  }
  loading.stop();

  const training = bar(`${task.name}: train`, settings.epochs * trainSamples.length);
  // The policy runs on the models its card names (a combined-encoder policy gets its own segmenter
  // and embedding cache); the baselines below keep the handcrafted `segmenter`.
  const {
    policy,
    info: obtained,
    models,
  } = mode.allPairs
    ? await loadGivenPolicy(task, resolve(repo, args.policies, task.name), segmenter)
    : await obtainPolicy(task, trainSamples, segmenter, {
        dir: resolve(repo, args.policies, task.name),
        retrain: args.retrain,
        save: args.savePolicies,
        seed: settings.seed,
        epochs: settings.epochs,
        ppoEpochs: settings.ppoEpochs,
        episodesPerUpdate: settings.episodesPerUpdate,
        steps: settings.steps,
        onProgress: (p) =>
          training.update(p.episode, {
            detail: `epoch ${p.epoch}/${p.epochs} reward ${p.meanReward.toFixed(2)}`,
          }),
        onSkip: (reason) => process.stderr.write(`${reason}\n`),
      });
  // The report names the policy folder relative to the repository, not this machine's absolute path.
  const policyInfo = obtained.path ? { ...obtained, path: relative(repo, obtained.path) } : obtained;
  training.stop();
  // PerSAM's target is the training foreground's mean feature: no training pairs, no PerSAM.
  const perSam = mode.allPairs ? [] : [await perSamMethod(segmenter, trainSamples)];
  trainSamples.length = 0; // training images are no longer needed: free them before the test loop

  const policyCurves = policy.card.training.curves;
  const initialActor = withInitialActor(policy);
  const base = {
    segmenter: models.segmenter,
    ...(models.prior !== undefined ? { prior: models.prior } : {}),
  };
  const main: EvaluationMethod[] = [
    alignSamMethod(policy, { ...base, name: "AlignSAM" }),
    alignSamMethod(policy, { ...base, ablation: "no-rl", name: "AlignSAM w/o RL" }),
    alignSamMethod(initialActor, { ...base, name: INITIAL_ACTOR }),
    alignSamMethod(policy, { ...base, ablation: "no-srm", name: "AlignSAM w/o SRM" }),
    alignSamMethod(policy, { ...base, steps: 1, name: "AlignSAM w/o MSI (T = 1)" }),
    srmAloneMethod(policy, { ...base }),
    oracleClicksMethod(models.segmenter, settings.steps + 2),
    centreClickMethod(segmenter),
    ...perSam,
    ...ruleMethods(task),
  ];
  const sweep = stepSweepMethods(policy, settings.sweep, { ...base, name: "AlignSAM" });
  const methods = [...main, ...sweep];

  const writer = await openJsonlWriter(join(jsonDir, `${task.name}.images.jsonl`), {
    task: task.name,
    method: "",
  });
  const evaluating = bar(`${task.name}: evaluate`, test.length);
  let results: EvaluationResult[];
  try {
    results = await evaluateMany(methods, test, task, {
      load: (p: DatasetPair) => loadPair(p),
      onRecord: (method, record) => writer.write(record, method.name),
      onProgress: (_done, _total, records) =>
        evaluating.increment({
          detail: `AlignSAM mIoU ${(100 * (records[0].metrics.mIoU ?? 0)).toFixed(1)}`,
        }),
    });
    if (galleryMode !== "none")
      galleries.set(task.name, await alignSamGallery(galleryMode, results[0].records, test, policy, base));
  } finally {
    evaluating.stop();
    await writer.close();
    initialActor.dispose();
    policy.dispose();
  }
  const mainResults = results.slice(0, main.length);
  const sweepResults = results.slice(main.length);
  const named = (name: string) => mainResults.find((r) => r.summary.method === name)!;
  const alignsam = named("AlignSAM");
  const verdicts: string[] = [];
  const primary = task.metrics[0];
  const compareOn = primary === "mIoU" ? ["mIoU"] : [primary, "mIoU"];
  const rules = mainResults.filter((r) => r.summary.method.startsWith("rule: "));
  const bestRule = rules.reduce((a, b) => (b.summary.metrics.mIoU > a.summary.metrics.mIoU ? b : a));
  for (const other of [
    "SRM map alone",
    "AlignSAM w/o RL",
    INITIAL_ACTOR,
    "centre click",
    bestRule.summary.method,
  ]) {
    for (const metric of compareOn) {
      if (test.length > 0)
        verdicts.push(
          verdict("AlignSAM", other, pairedDifference(alignsam.records, named(other).records, metric)),
        );
    }
  }

  const oracleName = `oracle clicks (${settings.steps + 2})`;
  const oracleIou = named(oracleName).summary.metrics.mIoU;
  const curves = policyCurves;
  // The rule check compares with BASELINES.md's numbers for the reference datasets, not a user's folder.
  const ruleChecks =
    args.ruleCheck && !mode.allPairs ? await checkRules(task, datasetName, dataset.pairs) : [];
  const notes: string[] = [];
  if (task.branch === "explicit" && models.prior !== "none") {
    notes.push(
      `Explicit branch with the built-in CenterNet detector as M_c (${obtained.prior}; COCO classes only), on the policy's segmenter ${models.segmenter.info.modelId}; no CLIP (Surgery) weights are available on this machine.`,
    );
  } else if (task.branch === "explicit") {
    notes.push(
      "Explicit branch with M_c = 1: no CLIP (Surgery) weights are available on this machine, so the semantic state carries no text prior here; the built-in CenterNet prior (COCO classes only) is compared with M_c = 1 and the implicit branch in the branch table at the end.",
    );
  }
  if (pairs.note) notes.push(pairs.note);
  if (mode.allPairs)
    notes.push(
      `--all-pairs: the given policy (${policyInfo.path}) scored on every pair of ${join(root, datasetName)}, nothing trained; whether the policy trained on some of these images is not checked. PerSAM (needs training pairs) is left out.`,
    );
  const evaluation: TaskEvaluation = {
    task: task.name,
    dataset: datasetName,
    metrics: task.metrics,
    trainImages: split.train.length,
    testImages: test.length,
    testAvailable: split.test.length,
    policy: policyInfo,
    summaries: mainResults.map((r) => r.summary),
    sweep: sweepResults.map((r, i) => ({ steps: settings.sweep[i], mIoU: r.summary.metrics.mIoU })),
    verdicts,
    ruleChecks,
    evaluationMs: performance.now() - taskStarted,
    notes,
    ...(oracleIou > 0
      ? {
          oracle: {
            clicks: settings.steps + 2,
            method: oracleName,
            ratio: alignsam.summary.metrics.mIoU / oracleIou,
          },
        }
      : {}),
    ...(curves ? { curves } : {}),
  };
  await writeText(
    join(jsonDir, `${task.name}.json`),
    summaryToJson({ ...evaluation, sweepSummaries: sweepResults.map((r) => r.summary) } as never),
  );
  return evaluation;
}

/** Re-measures the BASELINES.md rules of a dataset on all its pairs (same convention: image means). */
async function checkRules(task: TaskDefinition, datasetName: string, all: readonly DatasetPair[]) {
  const reference = BASELINES_REFERENCE[datasetName] ?? [];
  const rules = ruleMethods({ name: task.name, metrics: ["mIoU", "BER", "MAE"] }).filter((m) =>
    reference.some((r) => r.rule === m.name),
  );
  if (rules.length === 0) return [];
  const checking = bar(`${task.name}: rule check`, all.length);
  const results = await evaluateMany(rules, all, task, {
    load: (p: DatasetPair) => loadPair(p),
    metrics: ["mIoU", "BER", "MAE"],
    classMeanIoU: false,
    keepRecords: false,
    onProgress: () => checking.increment(),
  });
  checking.stop();
  return reference.map((r) => {
    const s = results.find((x) => x.summary.method === r.rule)!.summary;
    const value = s.metrics[r.metric];
    return {
      rule: r.rule,
      metric: r.metric,
      reference: r.value,
      measured: r.metric === "mIoU" ? 100 * value : value,
      images: s.images,
    };
  });
}

/**
 * The implicit-vs-explicit table (paper Table 4; ./branch-table.ts, a separate reduced run because it
 * trains three policies per task) saved beside the JSON, appended to the report when present.
 */
async function branchSection(): Promise<string> {
  return (await optionalSection("previous-policies.md")) + (await optionalSection("branch-table.md"));
}

/** A Markdown fragment another bench wrote into the JSON folder, or nothing. */
async function optionalSection(file: string): Promise<string> {
  try {
    return `\n${await readFile(join(jsonDir, file), "utf8")}`;
  } catch {
    return "";
  }
}

/**
 * Training time at the paper's settings (E = 50, K = 20, T = 15, 50 images), measured by
 * ./train-time.ts --json into the JSON folder (a separate run: it takes minutes, and the tables
 * above use the shipped E = 5 policies), appended to the report when present.
 */
async function trainTimeSection(): Promise<string> {
  let t: TrainTimeJson;
  try {
    t = JSON.parse(await readFile(join(jsonDir, "train-time.json"), "utf8")) as TrainTimeJson;
  } catch {
    return "";
  }
  const s = (ms: number) => (ms / 1000).toFixed(0);
  const rows = Object.entries(t.timingsMs)
    .filter(([k]) => k !== "totalMs")
    .map(([k, v]) => `| ${k.replace(/Ms$/, "")} | ${s(v)} |`);
  const h = t.settings;
  const held = t.heldOut.pairedIou
    ? `\nThe E = ${h.epochs} policy on ${t.heldOut.images} held-out images: mIoU ${t.heldOut.mIoU.none.toFixed(2)} ` +
      `against ${t.heldOut.mIoU["no-rl"].toFixed(2)} for random clicks (paired difference ` +
      `${t.heldOut.pairedIou.mean >= 0 ? "+" : ""}${t.heldOut.pairedIou.mean.toFixed(2)}, standard error ` +
      `${t.heldOut.pairedIou.se.toFixed(2)}).\n`
    : "";
  return [
    "",
    "## Training time at the paper's settings",
    "",
    `Task ${t.task}, ${t.trainImages} training images, E = ${h.epochs}, K = ${h.ppoEpochs}, T = ${h.steps}, ` +
      `${t.episodes} episodes (PPO update every ${h.episodesPerUpdate} episodes), reward ${h.reward}, ` +
      `on ${t.machine.cpu} (${t.machine.cores} cores; load average ${t.machine.loadAverageAtStart[0].toFixed(1)} at ` +
      `the start), Node ${t.machine.node}, TensorFlow.js ${t.machine.tfBackend}, one process.`,
    "",
    `**${(t.timingsMs.totalMs / 60_000).toFixed(1)} min wall** (${(t.cpuSeconds / 60).toFixed(1)} min CPU). Where it went (s):`,
    "",
    "| stage | s |",
    "| --- | ---: |",
    ...rows,
    `| **total** | **${s(t.timingsMs.totalMs)}** |`,
    held,
    `Command: \`${t.command}\` (started ${t.startedAt}).`,
    "",
  ].join("\n");
}

interface TrainTimeJson {
  command: string;
  startedAt: string;
  machine: { cpu: string; cores: number; node: string; tfBackend: string; loadAverageAtStart: number[] };
  task: string;
  trainImages: number;
  settings: { epochs: number; ppoEpochs: number; steps: number; episodesPerUpdate: number; reward: string };
  episodes: number;
  timingsMs: Record<string, number> & { totalMs: number };
  cpuSeconds: number;
  heldOut: { images: number; mIoU: Record<string, number>; pairedIou?: { mean: number; se: number } };
}

if (args.renderOnly) {
  const saved = JSON.parse(await readFile(join(jsonDir, "report.json"), "utf8")) as EvaluationReport;
  await writeText(
    resolve(repo, mode.out),
    renderEvaluationDoc(saved, EVALUATION_CONVENTIONS) + (await trainTimeSection()) + (await branchSection()),
  );
  process.stderr.write(`rewrote ${mode.out} from ${relative(repo, jsonDir)}/report.json\n`);
  const run = await readSavedReport(jsonDir);
  for (const t of run.tasks.filter((x) => tasks.some((task) => task.name === x.task))) {
    const cases = await renderOnlyGallery(galleryMode, t, jsonDir, { root, repo });
    const path = await writeTaskHtml(run, t, htmlDirs, { mode: galleryMode, ...(cases ? { cases } : {}) });
    process.stderr.write(`wrote ${relative(repo, path)} (gallery: ${galleryMode})\n`);
  }
  process.exit(0);
}

const evaluations: TaskEvaluation[] = [];
for (const task of tasks) {
  process.stderr.write(`\n== ${task.name}\n`);
  evaluations.push(await evaluateTask(task));
}
const report: EvaluationReport = {
  createdAt: new Date().toISOString(),
  command: `npm exec -- node packages/core/bench/evaluate-all.ts ${process.argv.slice(2).join(" ")}`.trim(),
  machine: {
    cpu: cpus()[0]?.model ?? "unknown CPU",
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    platform: `${process.platform}-${process.arch}`,
    node: process.versions.node,
    tfBackend: activeTfBackend(),
  },
  settings: {
    backend: "classic",
    train: mode.allPairs ? 0 : settings.train,
    seed: settings.seed,
    epochs: settings.epochs,
    ppoEpochs: settings.ppoEpochs,
    episodesPerUpdate: settings.episodesPerUpdate,
    steps: settings.steps,
    maxTest: Number.isFinite(settings.maxTest) ? settings.maxTest : "all",
    datasets: relative(repo, root) || root,
  },
  tasks: evaluations,
  totalMs: performance.now() - started,
};
await writeText(join(jsonDir, "report.json"), summaryToJson(report as never));
await writeText(
  resolve(repo, mode.out),
  renderEvaluationDoc(report, EVALUATION_CONVENTIONS) + (await trainTimeSection()) + (await branchSection()),
);
for (const t of evaluations) {
  const cases = galleries.get(t.task);
  await writeTaskHtml(report, t, htmlDirs, { mode: galleryMode, ...(cases ? { cases } : {}) });
}
process.stderr.write(
  `\nwrote ${mode.out} and ${relative(repo, jsonDir)}/ in ${(report.totalMs / 60_000).toFixed(1)} min\n`,
);
