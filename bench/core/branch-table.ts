/**
 * The paper's Table 4 on this backend: for class-prompted tasks, the SRM's implicit branch against
 * its explicit branch, with M_c = 1 and with the CenterNet closed-vocabulary prior (models/centernet),
 * each policy trained on the same split and seed and scored on the same held-out images. Writes
 * docs/evaluation/branch-table.md (+ branch-table.<encoder>.json); evaluate-all.ts appends the Markdown to docs/EVALUATION.md.
 *
 * Run: npm exec -- node bench/core/branch-table.ts [--tasks voc,shadow] [--train 50]
 *      [--epochs 3] [--max-test 30] [--steps 15] [--encoder handcrafted|learned|combined]
 *      [--append]  (add this run as a further section instead of replacing the file)
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  loadDataset,
  loadPair,
  resolveDatasetsRoot,
  splitTrainTest,
} from "../../packages/core/src/datasets/index.ts";
import { findRepositoryRoot } from "../../packages/core/src/datasets/root.ts";
import { isAlignSamError } from "../../packages/core/src/errors.ts";
import { alignSamMethod } from "../../packages/core/src/evaluation/alignsam-methods.ts";
import { cachingSegmenter } from "../../packages/core/src/evaluation/caching-segmenter.ts";
import { pairedDifference, verdict } from "../../packages/core/src/evaluation/compare.ts";
import { evaluateMany } from "../../packages/core/src/evaluation/evaluate.ts";
import type { PolicySample } from "../../packages/core/src/evaluation/policy-source.ts";
import { taskPairs } from "../../packages/core/src/evaluation/task-pairs.ts";
import { openClassicSegmenter } from "../../packages/core/src/models/centernet/classic-encoder.ts";
import { createCenterNetPrior } from "../../packages/core/src/models/centernet/prior.ts";
import { resolveCocoClasses } from "../../packages/core/src/models/centernet/vocabulary.ts";
import type { ClassicEncoder } from "../../packages/core/src/models/classic/index.ts";
import type { PriorChoice } from "../../packages/core/src/pipeline/prepare.ts";
import { trainPolicy } from "../../packages/core/src/pipeline/train.ts";
import { defaultTaskRegistry, type TaskDefinition } from "../../packages/core/src/tasks/registry.ts";

/** Where the table is written; evaluate-all.ts reads it back (by this name). */
const BRANCH_TABLE_FILE = "branch-table.md";

interface Row {
  task: string;
  variant: string;
  images: number;
  metrics: Record<string, number>;
  trainingSeconds: number;
  note?: string;
}

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "voc,shadow" },
    train: { type: "string", default: "50" },
    epochs: { type: "string", default: "3" },
    "max-test": { type: "string", default: "30" },
    steps: { type: "string", default: "15" },
    seed: { type: "string", default: "0" },
    encoder: { type: "string", default: "handcrafted" },
    "json-dir": { type: "string", default: "docs/evaluation" },
    append: { type: "boolean", default: false },
  },
});
const repo = findRepositoryRoot();
const root = resolveDatasetsRoot();
const n = (k: keyof typeof values) => Number(values[k]);
const started = performance.now();
const segmenter = cachingSegmenter(await openClassicSegmenter({ encoder: values.encoder as ClassicEncoder }));
const rows: Row[] = [];
const verdicts: string[] = [];

function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]);
}

for (const name of values.tasks.split(",")) {
  const task = defaultTaskRegistry.get(name.trim());
  const dataset = await loadDataset(task.dataset ?? task.name, { root });
  const pairs = await taskPairs(task, dataset);
  const split = splitTrainTest(pairs.pairs, { train: n("train"), seed: n("seed") });
  const test = spread(split.test, n("max-test"));
  const samples: PolicySample[] = [];
  for (const p of split.train) {
    const { image, mask } = await loadPair(p);
    samples.push({ id: p.id, image, mask, ...(p.classes ? { texts: p.classes } : {}) });
  }
  const texts = [...task.texts.filter((t) => !t.includes("{")), ...samples.flatMap((s) => s.texts ?? [])];
  let centernet: string | undefined;
  try {
    resolveCocoClasses(texts);
  } catch (e) {
    if (!isAlignSamError(e)) throw e;
    centernet = `not run: the task's text ${JSON.stringify(task.texts[0])} is outside the CenterNet vocabulary (TEXT_UNSUPPORTED)`;
  }
  const variants: { name: string; task: TaskDefinition; prior?: PriorChoice; skip?: string }[] = [
    { name: "implicit branch", task: { ...task, branch: "implicit" } },
    { name: "explicit, M_c = 1", task, prior: "none" },
    {
      name: "explicit, CenterNet prior",
      task,
      prior: createCenterNetPrior(),
      ...(centernet ? { skip: centernet } : {}),
    },
  ];
  const results = [];
  for (const v of variants) {
    if (v.skip) {
      rows.push({
        task: task.name,
        variant: v.name,
        images: 0,
        metrics: {},
        trainingSeconds: 0,
        note: v.skip,
      });
      continue;
    }
    process.stderr.write(`${task.name}: training "${v.name}" on ${samples.length} images\n`);
    const t0 = performance.now();
    const policy = await trainPolicy(samples, v.task, {
      segmenter,
      ...(v.prior !== undefined ? { prior: v.prior } : {}),
      seed: n("seed"),
      epochs: n("epochs"),
      ppoEpochs: 10,
      episodesPerUpdate: 10,
      steps: n("steps"),
    });
    const trainingSeconds = (performance.now() - t0) / 1000;
    const [result] = await evaluateMany(
      [
        alignSamMethod(policy, {
          segmenter,
          ...(v.prior !== undefined ? { prior: v.prior } : {}),
          name: v.name,
        }),
      ],
      test,
      task,
      { load: (p) => loadPair(p) },
    );
    policy.dispose();
    results.push(result);
    rows.push({
      task: task.name,
      variant: v.name,
      images: result.summary.images,
      metrics: { ...result.summary.metrics },
      trainingSeconds,
    });
    process.stderr.write(
      `${task.name} ${v.name}: ${JSON.stringify(result.summary.metrics)} (${trainingSeconds.toFixed(0)} s training)\n`,
    );
  }
  const metric = task.metrics[0];
  const [implicit, flat, withPrior] = results;
  if (withPrior) {
    verdicts.push(
      `${task.name}: ${verdict("explicit + CenterNet", "implicit", pairedDifference(withPrior.records, implicit.records, metric))}`,
    );
    verdicts.push(
      `${task.name}: ${verdict("explicit + CenterNet", "explicit M_c = 1", pairedDifference(withPrior.records, flat.records, metric))}`,
    );
  } else if (flat) {
    verdicts.push(
      `${task.name}: ${verdict("explicit M_c = 1", "implicit", pairedDifference(flat.records, implicit.records, metric))}`,
    );
  }
}

const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
const lines = [
  values.append
    ? `### The same with the \`${values.encoder}\` encoder`
    : "## Implicit vs explicit SRM branch (paper Table 4) on the embedded default",
  "",
  `Written by \`bench/core/branch-table.ts\`: \`npm exec -- node bench/core/branch-table.ts ${process.argv.slice(2).join(" ")}\`.`.replace(
    " `.",
    "`.",
  ),
  `A reduced run (subset, few epochs; total ${((performance.now() - started) / 60000).toFixed(1)} min on this machine): ${n("train")} training images, E = ${n("epochs")}, T = ${n("steps")}, at most ${n("max-test")} held-out images, seed ${n("seed")}, classic backend with the \`${values.encoder}\` encoder (\`${segmenter.info.modelId}\`). The three policies of a task share split, seed and settings; only the SRM branch and M_c differ. CenterNet's M_c: max of the class's centre heatmap and its painted detection boxes, scaled to peak 1 (models/centernet/README.md).`,
  "",
  `| task | variant | images | ${metrics.join(" | ")} | training s |`,
  `| --- | --- | --- | ${metrics.map(() => "---").join(" | ")} | --- |`,
  ...rows.map((r) =>
    r.note
      ? `| ${r.task} | ${r.variant} | - | ${metrics.map(() => "-").join(" | ")} | ${r.note} |`
      : `| ${r.task} | ${r.variant} | ${r.images} | ${metrics.map((m) => (r.metrics[m] === undefined ? "-" : m === "MAE" ? r.metrics[m].toFixed(3) : m === "BER" ? r.metrics[m].toFixed(2) : (100 * r.metrics[m]).toFixed(1))).join(" | ")} | ${r.trainingSeconds.toFixed(0)} |`,
  ),
  "",
  ...verdicts.map((v) => `- ${v}`),
  "",
];
const dir = resolve(repo, values["json-dir"]);
const before = values.append ? `${await readFile(join(dir, BRANCH_TABLE_FILE), "utf8")}\n` : "";
await writeFile(join(dir, BRANCH_TABLE_FILE), `${before}${lines.join("\n")}\n`);
await writeFile(
  join(dir, `branch-table.${values.encoder}.json`),
  `${JSON.stringify({ settings: values, rows, verdicts }, null, 2)}\n`,
);
process.stderr.write(`wrote ${relative(repo, join(dir, BRANCH_TABLE_FILE))}\n`);
