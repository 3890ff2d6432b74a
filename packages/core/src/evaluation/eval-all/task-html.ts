/**
 * `eval:all`'s HTML reports: one self-contained page per task, rendered from the JSON and JSONL
 * the run saves (so a page's numbers are the Markdown's by construction), with a gallery that holds
 * pictures only when asked: the copy written under docs/ is committed and may not carry dataset
 * pixels, so its default gallery is "none".
 */
import { join, resolve } from "node:path";
import { loadDataset } from "../../datasets/loader.ts";
import { createClassicSegmenter } from "../../models/classic/index.ts";
import { loadPolicy } from "../../policy/store.ts";
import { defaultTaskRegistry } from "../../tasks/registry.ts";
import { cachingSegmenter } from "../caching-segmenter.ts";
import {
  alignSamGallery,
  benchmarkReport,
  type GalleryCase,
  type GalleryMode,
  HISTOGRAM_METHOD,
  methodRecords,
  readTaskRecords,
  renderHtmlReport,
  type SavedReport,
  sectionFromTaskEvaluation,
  type TaskEvaluationLike,
} from "../html/index.ts";
import { writeText } from "../report.ts";
import { taskPairs } from "../task-pairs.ts";

/**
 * Writes `<htmlDir>/<task>.html` for one task of a run from `<jsonDir>/<task>.images.jsonl`.
 * `cases` are the gallery cases with pictures when the run made them.
 */
export async function writeTaskHtml(
  run: Pick<SavedReport, "createdAt" | "command" | "machine" | "settings">,
  task: TaskEvaluationLike,
  dirs: { json: string; html: string },
  gallery: { mode: GalleryMode; cases?: readonly GalleryCase[] },
): Promise<string> {
  const records = await readTaskRecords(dirs.json, task.task);
  const section = sectionFromTaskEvaluation(task, records, gallery);
  const path = join(dirs.html, `${task.task}.html`);
  await writeText(path, renderHtmlReport(benchmarkReport(run, section)));
  return path;
}

/**
 * `--render-only` with pictures: the saved run's gallery cases, segmented again with the policy the
 * run loaded (its folder is in the saved report). A policy trained in that run and not saved cannot
 * be reloaded: the gallery then lists the cases without pictures, and a line says why.
 */
export async function renderOnlyGallery(
  mode: GalleryMode,
  task: TaskEvaluationLike,
  jsonDir: string,
  where: { root: string; repo: string; log: (line: string) => void },
): Promise<GalleryCase[] | undefined> {
  if (mode === "none") return undefined;
  if (task.policy?.source !== "loaded" || task.policy.path === undefined) {
    where.log(`${task.task}: the run trained its policy without saving it; gallery without pictures`);
    return undefined;
  }
  const definition = defaultTaskRegistry.get(task.task);
  const dataset = await loadDataset(task.dataset, { root: where.root });
  const { pairs } = await taskPairs(definition, dataset, { vocAllClasses: true });
  const records = methodRecords(await readTaskRecords(jsonDir, task.task), HISTOGRAM_METHOD);
  const policy = await loadPolicy(resolve(where.repo, task.policy.path));
  try {
    return await alignSamGallery(mode, records, pairs, policy, {
      segmenter: cachingSegmenter(createClassicSegmenter()),
      ...(definition.branch === "explicit" ? { prior: "none" as const } : {}),
    });
  } finally {
    policy.dispose();
  }
}
