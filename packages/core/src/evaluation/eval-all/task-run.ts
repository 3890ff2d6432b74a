/**
 * One task of `eval:all` end to end: its pairs and split, its policy (shipped, trained, or given
 * with --all-pairs), every method scored on the test pairs in one pass (AlignSAM, its ablations,
 * the segmenter baselines, oracle clicks, the BASELINES.md rules, the T sweep), the paired verdicts,
 * and the task's JSON and per-image JSONL in the JSON folder.
 */
import { join, relative, resolve } from "node:path";
import { type DatasetPair, loadDataset, loadPair } from "../../datasets/index.ts";
import { createClassicSegmenter } from "../../models/classic/index.ts";
import type { TaskDefinition } from "../../tasks/registry.ts";
import { alignSamMethod, srmAloneMethod, stepSweepMethods, withInitialActor } from "../alignsam-methods.ts";
import { cachingSegmenter } from "../caching-segmenter.ts";
import { pairedDifference, verdict } from "../compare.ts";
import type { EvaluationMethod, EvaluationResult } from "../evaluate.ts";
import type { TaskEvaluation } from "../evaluation-doc.ts";
import { alignSamGallery, type GalleryCase } from "../html/index.ts";
import { obtainPolicy, type PolicySample } from "../policy-source.ts";
import { summaryToJson, writeText } from "../report.ts";
import { evaluateToJsonl } from "../run-to-jsonl.ts";
import { centreClickMethod, oracleClicksMethod, perSamMethod } from "../segmenter-baselines.ts";
import { ruleMethods } from "../suite.ts";
import { spread, taskPairs } from "../task-pairs.ts";
import { type EvaluationMode, loadGivenPolicy, selectPairs } from "./mode.ts";
import type { EvalAllOptions } from "./options.ts";
import { checkRules } from "./rule-check.ts";

/** The row that isolates what PPO adds: the same policy with its actor as training started it. */
const INITIAL_ACTOR = "AlignSAM, actor before PPO";

/** Where a task run reads and writes. */
export interface TaskRunPlace {
  readonly repo: string;
  readonly mode: EvaluationMode;
  /** Absolute JSON folder. */
  readonly jsonDir: string;
}

/**
 * Evaluates one task; `gallery` holds the cases with pictures when the options ask for them (made
 * while the task's policy is loaded).
 */
export async function evaluateTask(
  task: TaskDefinition,
  options: EvalAllOptions,
  place: TaskRunPlace,
): Promise<{ evaluation: TaskEvaluation; gallery?: GalleryCase[] }> {
  const { repo, mode, jsonDir } = place;
  const settings = options.settings;
  const taskStarted = performance.now();
  const datasetName = task.dataset ?? task.name;
  const dataset = await loadDataset(datasetName, { root: mode.root });
  const pairs = await taskPairs(task, dataset, { vocAllClasses: options.vocAllClasses });
  const split = selectPairs(pairs.pairs, {
    allPairs: mode.allPairs,
    train: settings.train,
    seed: settings.seed,
  });
  const test = spread(split.test, settings.maxTest);
  const segmenter = cachingSegmenter(createClassicSegmenter());

  const loading = options.progress(`${task.name}: load train`, split.train.length);
  const trainSamples: PolicySample[] = [];
  for (const p of split.train) {
    const { image, mask } = await loadPair(p);
    trainSamples.push({ id: p.id, image, mask, ...(p.classes ? { texts: p.classes } : {}) });
    loading.increment();
  }
  loading.stop();

  const training = options.progress(`${task.name}: train`, settings.epochs * trainSamples.length);
  // The policy runs on the models its card names (a combined-encoder policy gets its own segmenter
  // and embedding cache); the baselines below keep the handcrafted `segmenter`.
  const policyDir = resolve(repo, options.policies, task.name);
  const {
    policy,
    info: obtained,
    models,
  } = mode.allPairs
    ? await loadGivenPolicy(task, policyDir, segmenter)
    : await obtainPolicy(task, trainSamples, segmenter, {
        dir: policyDir,
        retrain: options.retrain,
        save: options.savePolicies,
        seed: settings.seed,
        epochs: settings.epochs,
        ppoEpochs: settings.ppoEpochs,
        episodesPerUpdate: settings.episodesPerUpdate,
        steps: settings.steps,
        onProgress: (p) =>
          training.update(p.episode, `epoch ${p.epoch}/${p.epochs} reward ${p.meanReward.toFixed(2)}`),
        onSkip: options.log,
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

  const evaluating = options.progress(`${task.name}: evaluate`, test.length);
  let results: EvaluationResult[];
  let gallery: GalleryCase[] | undefined;
  try {
    results = await evaluateToJsonl(methods, test, task, join(jsonDir, `${task.name}.images.jsonl`), {
      load: (p: DatasetPair) => loadPair(p),
      onProgress: (_done, _total, records) =>
        evaluating.increment(`AlignSAM mIoU ${(100 * (records[0].metrics.mIoU ?? 0)).toFixed(1)}`),
    });
    if (options.gallery !== "none")
      gallery = await alignSamGallery(options.gallery, results[0].records, test, policy, base);
  } finally {
    evaluating.stop();
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
  // The rule check compares with BASELINES.md's numbers for the reference datasets, not a user's folder.
  const ruleChecks =
    options.ruleCheck && !mode.allPairs
      ? await checkRules(task, datasetName, dataset.pairs, options.progress)
      : [];
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
      `--all-pairs: the given policy (${policyInfo.path}) scored on every pair of ${join(mode.root, datasetName)}, nothing trained; whether the policy trained on some of these images is not checked. PerSAM (needs training pairs) is left out.`,
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
    ...(policyCurves ? { curves: policyCurves } : {}),
  };
  await writeText(
    join(jsonDir, `${task.name}.json`),
    summaryToJson({ ...evaluation, sweepSummaries: sweepResults.map((r) => r.summary) } as never),
  );
  return { evaluation, ...(gallery ? { gallery } : {}) };
}
