/**
 * `alignsam eval --task T --policy DIR`: scores a policy on the held-out split of its task's dataset
 * with the evaluation module's runner and writers, as `eval-all` scores its methods (per-image JSONL, summary JSON, Markdown). The
 * split is rebuilt from the card (training-set size and seed) and checked against the card's
 * training-set hash, so test images that the policy trained on are never scored unnoticed. It also
 * writes report.html, a self-contained page with the histogram of per-image IoU and a gallery of the
 * best, median and worst images (pictures by default: the folder is the user's own).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { DatasetPair } from "../../datasets/loader.ts";
import { loadPair } from "../../datasets/pair.ts";
import { alignSamMethod } from "../../evaluation/alignsam-methods.ts";
import type { EvaluationSummary } from "../../evaluation/evaluate.ts";
import {
  alignSamGallery,
  GALLERY_MODES,
  type GalleryCase,
  parseGalleryMode,
  renderHtmlReport,
  singleMethodSection,
  singleSectionReport,
} from "../../evaluation/html/index.ts";
import {
  formatMetric,
  markdownTable,
  metricLabel,
  perClassTable,
  reportedMetrics,
  summaryToJson,
  writeText,
} from "../../evaluation/report.ts";
import { evaluateToJsonl } from "../../evaluation/run-to-jsonl.ts";
import { spread } from "../../evaluation/task-pairs.ts";
import { decodeBinaryMaskPng } from "../../mask/png.ts";
import { trainingSetHash } from "../../pipeline/train.ts";
import { BACKEND_FLAG_HELP, openBackend } from "../backend.ts";
import { defaultPolicyDir, loadTaskPolicy, optionalInt, taskOption } from "../options.ts";
import { action, emit, type GlobalOptions } from "../output.ts";
import { startProgress } from "../progress.ts";
import { loadTaskSplit } from "../task-data.ts";

interface EvalFlags {
  task: string;
  policy?: string;
  data?: string;
  out?: string;
  maxTest?: string;
  samples?: string;
  seed?: string;
  samManifest?: string;
  clipManifest?: string;
  encoder?: string;
  prior?: string;
  gallery: string;
}

/** Whether `train` is the policy's training set (hash over ids and masks, as the card records it). */
async function sameTrainingSet(train: readonly DatasetPair[], sha256: string): Promise<boolean> {
  const masks = [];
  for (const p of train)
    masks.push({ id: p.id, mask: await decodeBinaryMaskPng(new Uint8Array(await readFile(p.maskPath))) });
  return trainingSetHash(masks) === sha256;
}

/** Registers `eval`. */
export function registerEvalCommand(program: Command): void {
  program
    .command("eval")
    .description(
      "score a policy on its task's held-out split: per-image JSONL, summary JSON, Markdown and a self-contained HTML report",
    )
    .requiredOption("--task <task>", "task the policy was trained for")
    .option("--policy <dir>", "policy folder or s3://bucket/prefix (default: <repo>/policies/<task>/)")
    .option("--data <dir>", "datasets root (default: $ALIGNSAM_DATASETS, else ../shared/datasets)")
    .option("--out <dir>", "results folder (default: ./alignsam-eval/<task>/)")
    .option("--max-test <n>", "score at most N held-out pairs, spread evenly over the ids (default: all)")
    .option(
      "--samples <n>",
      "training pairs of the split (default: the policy card's); 0 scores every pair of the folder (your own data)",
    )
    .option("--seed <n>", "split seed (default: the policy card's)")
    .option("--sam-manifest <uri>", BACKEND_FLAG_HELP.sam)
    .option("--clip-manifest <uri>", BACKEND_FLAG_HELP.clip)
    .option("--encoder <name>", BACKEND_FLAG_HELP.encoder)
    .option("--prior <name>", BACKEND_FLAG_HELP.prior)
    .option(
      "--gallery <mode>",
      `report.html gallery: ${GALLERY_MODES.join(", ")} (images and masks are the dataset's: do not publish them)`,
      "images",
    )
    .action(
      action(
        async (flags: EvalFlags) => {
          const started = performance.now();
          const global = program.opts<GlobalOptions>();
          const plain = global.json === true;
          const task = taskOption(flags.task);
          const maxTest = optionalInt(flags.maxTest, "--max-test", 1);
          const galleryMode = parseGalleryMode(flags.gallery);
          const policyUri = flags.policy ?? defaultPolicyDir(task.name);
          const policy = await loadTaskPolicy(policyUri, task);
          const out = resolve(flags.out ?? join("alignsam-eval", task.name));
          try {
            const card = policy.card;
            const samples = optionalInt(flags.samples, "--samples") ?? card.trainingSet.count;
            const seed = optionalInt(flags.seed, "--seed") ?? card.seed;
            const split = await loadTaskSplit(task, { root: flags.data, samples, seed });
            // --samples 0 scores every pair of the folder (a user's own data): no split to verify.
            const allPairs = samples === 0;
            const verified = !allPairs && (await sameTrainingSet(split.train, card.trainingSet.sha256));
            if (!verified && !allPairs) {
              process.stderr.write(
                `warning: the policy was not trained on this split's ${samples} training pairs (seed ${seed}); held-out images may include images it trained on\n`,
              );
            }
            const test = spread(split.test, maxTest ?? Number.POSITIVE_INFINITY);
            const backend = await openBackend(flags, card);
            const method = alignSamMethod(policy, {
              segmenter: backend.segmenter,
              ...(backend.prior ? { prior: backend.prior } : {}),
            });
            const jsonlPath = join(out, "images.jsonl");
            const progress = startProgress("evaluate", test.length, { plain });
            let summary: EvaluationSummary;
            let iouSum = 0;
            // Scores only (a few numbers per image) for report.html's histogram and gallery.
            const perImage: { id: string; metrics: Readonly<Record<string, number>> }[] = [];
            let cases: GalleryCase[] = [];
            try {
              [{ summary }] = await evaluateToJsonl([method], test, task, jsonlPath, {
                load: (p) => loadPair(p),
                keepRecords: false,
                onRecord: (_m, r) => {
                  perImage.push({ id: r.id, metrics: r.metrics });
                },
                onProgress: (done, _t, [r]) => {
                  iouSum += r.metrics.mIoU ?? 0;
                  progress.increment(`mean IoU ${formatMetric("mIoU", iouSum / done)}`);
                },
              });
              cases = await alignSamGallery(galleryMode, perImage, test, policy, {
                segmenter: backend.segmenter,
                ...(backend.prior ? { prior: backend.prior } : {}),
              });
            } finally {
              progress.stop();
              await backend.dispose();
            }
            const splitInfo = {
              dataset: split.dataset,
              root: split.root,
              seed,
              train: split.train.length,
              testAvailable: split.test.length,
              test: test.length,
              trainingSetVerified: verified,
              allPairs,
              ...(split.note ? { note: split.note } : {}),
            };
            const summaryPath = join(out, "summary.json");
            const markdownPath = join(out, "summary.md");
            await writeText(
              summaryPath,
              summaryToJson({ ...summary, policy: policyUri, split: splitInfo } as EvaluationSummary),
            );
            const classTable = summary.perClass.length > 1 ? perClassTable([summary], "mIoU") : "";
            await writeText(
              markdownPath,
              [
                `# AlignSAM on ${task.name} (${split.dataset})`,
                "",
                `Policy \`${policyUri}\` (trained ${card.createdAt}, T = ${card.hyperparameters.steps}, ${card.segmenter.backend} ${card.segmenter.modelId}); ` +
                  (allPairs
                    ? `${test.length} of all ${split.test.length} pairs of the folder (--samples 0: no training split).`
                    : `${test.length} of ${split.test.length} held-out pairs (split seed ${seed}, ${split.train.length} training pairs${verified ? ", the policy's own" : ", NOT the policy's training set"}).`),
                ...(split.note ? ["", split.note] : []),
                "",
                markdownTable([summary], task.metrics).trimEnd(),
                ...(classTable ? ["", classTable.trimEnd()] : []),
                "",
              ].join("\n"),
            );
            const htmlPath = join(out, "report.html");
            const section = singleMethodSection({
              task: task.name,
              dataset: split.dataset,
              metrics: task.metrics,
              row: {
                name: method.name,
                ...(method.description ? { description: method.description } : {}),
                images: summary.images,
                metrics: summary.metrics,
                msPerImage: summary.msPerImage,
              },
              perImage,
              gallery: { mode: galleryMode, cases },
              facts: [
                `Policy ${policyUri} (trained ${card.createdAt}, T = ${card.hyperparameters.steps}); ` +
                  (allPairs
                    ? `${test.length} of all ${split.test.length} pairs of the folder (--samples 0: no training split).`
                    : `${test.length} of ${split.test.length} held-out pairs, split seed ${seed}, ${split.train.length} training pairs${verified ? ", the policy's own" : ", NOT the policy's training set"}.`),
              ],
              notes: split.note ? [split.note] : [],
            });
            await writeText(
              htmlPath,
              renderHtmlReport(
                singleSectionReport(
                  `AlignSAM on ${task.name} (${split.dataset})`,
                  [
                    `Written by alignsam eval at ${new Date().toISOString()}; backend ${card.segmenter.backend} ${card.segmenter.modelId}.`,
                  ],
                  section,
                  `npm run alignsam -- eval --task ${task.name} --gallery images`,
                ),
              ),
            );
            const totalMs = performance.now() - started;
            emit(
              global,
              () =>
                [
                  `${task.name}: ${summary.images} images, ${reportedMetrics([summary], task.metrics)
                    .map((m) => `${metricLabel(m)} ${formatMetric(m, summary.metrics[m])}`)
                    .join(", ")} (${(totalMs / 1000).toFixed(1)} s)`,
                  `  ${jsonlPath}`,
                  `  ${summaryPath}`,
                  `  ${markdownPath}`,
                  `  ${htmlPath}`,
                ].join("\n"),
              () => ({
                summary,
                split: splitInfo,
                files: { images: jsonlPath, summary: summaryPath, markdown: markdownPath, html: htmlPath },
                totalMs,
              }),
            );
          } finally {
            policy.dispose();
          }
        },
        () => program.opts<GlobalOptions>().json === true,
      ),
    );
}
