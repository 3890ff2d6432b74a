/**
 * The benchmark's results (eval:all's TaskEvaluation, live or as saved under docs/evaluation/)
 * as an HTML report model. Reading the saved JSON and JSONL back is what lets the committed report
 * be regenerated in a second with numbers equal to the Markdown's by construction.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AlignSamError } from "../../errors.ts";
import { BASELINES_REFERENCE } from "../suite.ts";
import { pickGalleryCases } from "./gallery.ts";
import type {
  FloorRow,
  GalleryCase,
  GalleryMode,
  HtmlReport,
  PerClassTable,
  TaskSection,
} from "./report-model.ts";

/** JSON writes NaN as null: numbers read back from a saved report may be null. */
const num = z.number().nullable();

const policySchema = z.object({
  source: z.enum(["trained", "loaded"]),
  path: z.string().optional(),
  trainingMs: z.number(),
  epochs: z.number(),
  steps: z.number(),
  episodes: z.number(),
  prior: z.string(),
});

/** The parts of a saved TaskEvaluation (docs/evaluation/report.json) that the HTML report reads. */
export const savedTaskEvaluationSchema = z.object({
  task: z.string(),
  dataset: z.string(),
  metrics: z.array(z.string()),
  trainImages: z.number(),
  testImages: z.number(),
  testAvailable: z.number(),
  policy: policySchema.optional(),
  summaries: z.array(
    z.object({
      method: z.string(),
      description: z.string().optional(),
      images: z.number(),
      metrics: z.record(z.string(), num),
      msPerImage: num,
      perClass: z
        .array(z.object({ className: z.string(), images: z.number(), means: z.record(z.string(), num) }))
        .optional(),
    }),
  ),
  sweep: z.array(z.object({ steps: z.number(), mIoU: num })),
  verdicts: z.array(z.string()),
  ruleChecks: z.array(
    z.object({
      rule: z.string(),
      metric: z.string(),
      reference: z.number(),
      measured: num,
      images: z.number(),
    }),
  ),
  evaluationMs: z.number(),
  notes: z.array(z.string()),
  oracle: z.object({ clicks: z.number(), method: z.string(), ratio: num }).optional(),
  curves: z
    .object({
      images: z.number(),
      every: z.number(),
      randomClicks: num,
      rule: z.array(z.object({ update: z.number(), episode: z.number(), iou: z.number() })).optional(),
      random: z.array(z.object({ update: z.number(), episode: z.number(), iou: z.number() })).optional(),
    })
    .optional(),
});
export type SavedTaskEvaluation = z.infer<typeof savedTaskEvaluationSchema>;

export const savedReportSchema = z.object({
  createdAt: z.string(),
  command: z.string(),
  machine: z.object({ cpu: z.string(), cores: z.number(), platform: z.string(), node: z.string() }),
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  tasks: z.array(savedTaskEvaluationSchema),
});
export type SavedReport = z.infer<typeof savedReportSchema>;

/** One line of <task>.images.jsonl. */
export const recordLineSchema = z.object({
  task: z.string(),
  method: z.string(),
  id: z.string(),
  metrics: z.record(z.string(), num),
});
export type RecordLine = z.infer<typeof recordLineSchema>;

/** The method whose per-image scores the histogram and gallery show. */
export const HISTOGRAM_METHOD = "AlignSAM";

/** A task evaluation as the report reads it: the live object or the saved one. */
export interface TaskEvaluationLike {
  readonly task: string;
  readonly dataset: string;
  readonly metrics: readonly string[];
  readonly trainImages: number;
  readonly testImages: number;
  readonly testAvailable: number;
  readonly policy?: SavedTaskEvaluation["policy"];
  readonly summaries: readonly {
    readonly method: string;
    readonly description?: string;
    readonly images: number;
    readonly metrics: Readonly<Record<string, number | null>>;
    readonly msPerImage: number | null;
    readonly perClass?: readonly {
      readonly className: string;
      readonly images: number;
      readonly means: Readonly<Record<string, number | null>>;
    }[];
  }[];
  readonly sweep: readonly { readonly steps: number; readonly mIoU: number | null }[];
  readonly verdicts: readonly string[];
  readonly ruleChecks: readonly {
    readonly rule: string;
    readonly metric: string;
    readonly reference: number;
    readonly measured: number | null;
    readonly images: number;
  }[];
  readonly notes: readonly string[];
  readonly oracle?: { readonly clicks: number; readonly method: string; readonly ratio: number | null };
  readonly curves?: {
    readonly images: number;
    readonly randomClicks: number | null;
    readonly rule?: readonly { readonly update: number; readonly iou: number }[];
    readonly random?: readonly { readonly update: number; readonly iou: number }[];
  };
}

/** Per-image records of one method with the nulls (NaN) dropped from their metrics. */
export function methodRecords(
  records: readonly { method: string; id: string; metrics: Readonly<Record<string, number | null>> }[],
  method: string,
): { id: string; metrics: Record<string, number> }[] {
  return records
    .filter((r) => r.method === method)
    .map((r) => ({
      id: r.id,
      metrics: Object.fromEntries(
        Object.entries(r.metrics).filter((e): e is [string, number] => typeof e[1] === "number"),
      ),
    }));
}

/** The floors to show: this run's re-measurement when it made one, else BASELINES.md's values alone. */
function floorsOf(t: TaskEvaluationLike): FloorRow[] {
  if (t.ruleChecks.length > 0) {
    return t.ruleChecks.map((c) => ({
      rule: c.rule,
      metric: c.metric,
      reference: c.reference,
      ...(c.measured !== null ? { measured: c.measured } : {}),
      images: c.images,
    }));
  }
  return (BASELINES_REFERENCE[t.dataset] ?? []).map((r) => ({
    rule: r.rule,
    metric: r.metric,
    reference: r.value,
  }));
}

/**
 * Per-class mIoU of the methods that have classes (as the Markdown's per-class table: the all-zero
 * rule left out), when there is more than one class.
 */
function perClassOf(t: TaskEvaluationLike): PerClassTable | undefined {
  const withClasses = t.summaries.filter(
    (s) => (s.perClass?.length ?? 0) > 0 && !s.method.startsWith("rule: all"),
  );
  if (!withClasses.some((s) => (s.perClass?.length ?? 0) > 1)) return undefined;
  const names = [...new Set(withClasses.flatMap((s) => (s.perClass ?? []).map((c) => c.className)))].sort();
  return {
    metric: "mIoU",
    methods: withClasses.map((s) => s.method),
    classes: names.map((name) => ({
      name,
      images: withClasses[0].perClass?.find((c) => c.className === name)?.images ?? 0,
      values: withClasses.map((s) => s.perClass?.find((c) => c.className === name)?.means.mIoU ?? null),
    })),
  };
}

/**
 * One task's section. `cases` overrides the picked gallery cases (e.g. cases with pictures);
 * by default they are picked from the AlignSAM records without pictures.
 */
export function sectionFromTaskEvaluation(
  t: TaskEvaluationLike,
  records: readonly RecordLine[],
  gallery: { mode: GalleryMode; cases?: readonly GalleryCase[] },
): TaskSection {
  const perImage = methodRecords(records, HISTOGRAM_METHOD);
  const facts = [
    `${t.trainImages} training images, ${t.testImages} test images` +
      (t.testImages < t.testAvailable
        ? ` (${t.testImages} of ${t.testAvailable}, spread evenly over the ids)`
        : "") +
      ".",
  ];
  if (t.policy) {
    const p = t.policy;
    facts.push(
      `Policy ${p.source === "loaded" ? `loaded from ${p.path ?? "a shipped folder"}` : "trained in this run"}: ` +
        `E = ${p.epochs} epochs, T = ${p.steps}, ${p.episodes} episodes, training ${(p.trainingMs / 60_000).toFixed(1)} min; prior: ${p.prior}.`,
    );
  }
  if (t.oracle && typeof t.oracle.ratio === "number") {
    facts.push(
      `Auto / oracle: AlignSAM reaches ${t.oracle.ratio.toFixed(2)} of the mIoU of ${t.oracle.clicks} oracle clicks on the same images and backend.`,
    );
  }
  const perClass = perClassOf(t);
  const curves = t.curves
    ? {
        images: t.curves.images,
        randomClicks: t.curves.randomClicks ?? Number.NaN,
        series: [
          { name: "agent started at the rule", points: t.curves.rule ?? [] },
          { name: "agent started at random", points: t.curves.random ?? [] },
        ].filter((x) => x.points.length > 0),
      }
    : undefined;
  const summary = (name: string) => t.summaries.find((s) => s.method === name)?.metrics.mIoU;
  const sweepReferences = ["centre click", "AlignSAM w/o RL"].flatMap((name) => {
    const v = summary(name);
    return typeof v === "number" ? [{ name, mIoU: v }] : [];
  });
  return {
    task: t.task,
    dataset: t.dataset,
    facts,
    metrics: t.metrics,
    methods: t.summaries.map((s) => ({
      name: s.method,
      ...(s.description !== undefined ? { description: s.description } : {}),
      images: s.images,
      metrics: s.metrics,
      msPerImage: s.msPerImage,
    })),
    floors: floorsOf(t),
    sweep: t.sweep,
    sweepReferences,
    histogramMethod: HISTOGRAM_METHOD,
    perImage,
    gallery: { mode: gallery.mode, cases: gallery.cases ?? pickGalleryCases(perImage, "mIoU") },
    verdicts: t.verdicts,
    notes: t.notes,
    ...(perClass ? { perClass } : {}),
    ...(curves ? { curves } : {}),
  };
}

/**
 * The command that rewrites a task's report with gallery pictures into a git-ignored local folder
 * (pictures of dataset images must never be committed).
 */
export function regenerateCommand(task: string): string {
  return (
    `npm run eval:all -- --render-only --tasks ${task} ` +
    "--html-gallery images --html-dir alignsam-eval/html --out alignsam-eval/html/EVALUATION.md"
  );
}

/** Reads and validates docs/evaluation/report.json (or any --json-dir's). */
export async function readSavedReport(jsonDir: string): Promise<SavedReport> {
  const path = join(jsonDir, "report.json");
  const parsed = savedReportSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
  if (!parsed.success) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `${path} is not an evaluation report: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** Reads and validates <jsonDir>/<task>.images.jsonl. */
export async function readTaskRecords(jsonDir: string, task: string): Promise<RecordLine[]> {
  const path = join(jsonDir, `${task}.images.jsonl`);
  const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l.trim() !== "");
  return lines.map((line, i) => {
    const parsed = recordLineSchema.safeParse(JSON.parse(line));
    if (!parsed.success) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `${path}:${i + 1} is not a per-image record: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  });
}

/** The page's title and preamble for a benchmark run, one task per report. */
export function benchmarkReport(
  run: Pick<SavedReport, "createdAt" | "command" | "machine" | "settings">,
  section: TaskSection,
): HtmlReport {
  const m = run.machine;
  return {
    title: `AlignSAM evaluation: ${section.task}`,
    preamble: [
      "Written by npm run eval:all (packages/core/src/evaluation/eval-all/) from the JSON beside it; do not edit by hand.",
      `Command: ${run.command}`,
      `Run at ${run.createdAt} on ${m.cpu} (${m.cores} cores), ${m.platform}, Node ${m.node}.`,
      `Settings: ${Object.entries(run.settings)
        .map(([k, v]) => `${k} = ${v}`)
        .join(", ")}.`,
      "Backend: the weight-free classic segmenter, not SAM; compare rows with each other, not with the paper. IoU, F and E in percent, MAE a fraction, BER in percent.",
    ],
    regenerate: regenerateCommand(section.task),
    sections: [section],
  };
}
