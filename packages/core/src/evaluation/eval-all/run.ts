/**
 * The project's evaluation (`npm run eval:all`): for every task, split (fixed seed, 50 train), train
 * the AlignSAM policy on the classic backend (or load a shipped one that matches), then score on the
 * test split AlignSAM, its ablations, the segmenter baselines and the BASELINES.md rules; writes
 * docs/EVALUATION.md, the JSON beside it under docs/evaluation/, and one self-contained HTML report
 * per task, `<html-dir>/<task>.html`, rendered from the saved JSON (./task-html.ts).
 *
 * `allPairs` is a user's check of given policies on their own folder: every pair of each task's
 * folder is scored with the given policies, nothing is trained, and the report goes to
 * alignsam-eval/all-pairs/ (git-ignored) instead of docs/ (./mode.ts).
 *
 * The HTML gallery defaults to "none" because the docs/ copy is committed and may not carry dataset
 * pixels; `renderOnly` with gallery "images" and another html folder rewrites the pages with
 * pictures from the saved results and the shipped policies, without evaluating again.
 */
import { readFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { findRepositoryRoot } from "../../datasets/root.ts";
import { activeTfBackend } from "../../tf/backend.ts";
import {
  EVALUATION_CONVENTIONS,
  type EvaluationReport,
  renderEvaluationDoc,
  type TaskEvaluation,
} from "../evaluation-doc.ts";
import { type GalleryCase, readSavedReport } from "../html/index.ts";
import { summaryToJson, writeText } from "../report.ts";
import { appendedSections } from "./appended-sections.ts";
import { type EvaluationMode, resolveMode } from "./mode.ts";
import type { EvalAllOptions } from "./options.ts";
import { renderOnlyGallery, writeTaskHtml } from "./task-html.ts";
import { evaluateTask } from "./task-run.ts";

/**
 * Runs the evaluation (or, with `renderOnly`, rewrites its Markdown and HTML from the saved JSON).
 * @example await runEvalAll({ ...options, tasks: "blur", allPairs: true, dataDir: "my-data" })
 */
export async function runEvalAll(options: EvalAllOptions): Promise<void> {
  const repo = findRepositoryRoot();
  const mode = await resolveMode(options);
  const jsonDir = resolve(repo, mode.jsonDir);
  const htmlDirs = { json: jsonDir, html: resolve(repo, options.htmlDir ?? mode.jsonDir) };
  if (options.renderOnly) return renderOnly(options, mode, repo, htmlDirs);

  const started = performance.now();
  const settings = options.settings;
  const evaluations: TaskEvaluation[] = [];
  /** Gallery cases with pictures, per task, made while the task's policy was loaded. */
  const galleries = new Map<string, GalleryCase[]>();
  for (const task of mode.tasks) {
    options.log(`\n== ${task.name}`);
    const { evaluation, gallery } = await evaluateTask(task, options, { repo, mode, jsonDir });
    evaluations.push(evaluation);
    if (gallery) galleries.set(task.name, gallery);
  }
  const report: EvaluationReport = {
    createdAt: new Date().toISOString(),
    command: options.command,
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
      datasets: relative(repo, mode.root) || mode.root,
    },
    tasks: evaluations,
    totalMs: performance.now() - started,
  };
  await writeText(join(jsonDir, "report.json"), summaryToJson(report as never));
  await writeMarkdown(report, resolve(repo, mode.out), jsonDir);
  for (const t of evaluations) {
    const cases = galleries.get(t.task);
    await writeTaskHtml(report, t, htmlDirs, { mode: options.gallery, ...(cases ? { cases } : {}) });
  }
  options.log(
    `\nwrote ${mode.out} and ${relative(repo, jsonDir)}/ in ${(report.totalMs / 60_000).toFixed(1)} min`,
  );
}

/** docs/EVALUATION.md: the report, then the sections other runs saved into the JSON folder. */
async function writeMarkdown(report: EvaluationReport, path: string, jsonDir: string): Promise<void> {
  await writeText(
    path,
    renderEvaluationDoc(report, EVALUATION_CONVENTIONS) + (await appendedSections(jsonDir)),
  );
}

/** Rewrites the Markdown and the named tasks' HTML pages from `<json-dir>/report.json`. */
async function renderOnly(
  options: EvalAllOptions,
  mode: EvaluationMode,
  repo: string,
  htmlDirs: { json: string; html: string },
): Promise<void> {
  const jsonDir = htmlDirs.json;
  const saved = JSON.parse(await readFile(join(jsonDir, "report.json"), "utf8")) as EvaluationReport;
  await writeMarkdown(saved, resolve(repo, mode.out), jsonDir);
  options.log(`rewrote ${mode.out} from ${relative(repo, jsonDir)}/report.json`);
  const run = await readSavedReport(jsonDir);
  for (const t of run.tasks.filter((x) => mode.tasks.some((task) => task.name === x.task))) {
    const cases = await renderOnlyGallery(options.gallery, t, jsonDir, {
      root: mode.root,
      repo,
      log: options.log,
    });
    const path = await writeTaskHtml(run, t, htmlDirs, {
      mode: options.gallery,
      ...(cases ? { cases } : {}),
    });
    options.log(`wrote ${relative(repo, path)} (gallery: ${options.gallery})`);
  }
}
