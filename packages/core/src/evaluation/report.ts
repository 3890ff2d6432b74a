/**
 * Writers for evaluation results: per-image JSONL (one line per image, greppable and appendable),
 * summary JSON, and the Markdown tables docs/EVALUATION.md is made of. Numbers are formatted the way
 * the paper prints them: IoU, F and E in percent, MAE as a fraction, BER in percent.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { IMAGE_MEAN_IOU } from "../metrics/dataset-metrics.ts";
import type { MetricName } from "../tasks/registry.ts";
import type { EvaluationSummary, ImageRecord } from "./evaluate.ts";

/** Lower is better for these; higher for the rest. */
const LOWER_IS_BETTER: ReadonlySet<string> = new Set(["MAE", "BER"]);

/** Whether a higher value of the metric is better (for arrows and "beats" sentences). */
export function higherIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.has(metric);
}

/**
 * One metric value as the paper prints it: mIoU / F / maxF / E as percent with 2 decimals, MAE with 3
 * decimals, BER (already percent) with 2; "n/a" for a missing or non-finite value.
 * @example formatMetric("mIoU", 0.6847) // "68.47"
 */
export function formatMetric(metric: string, value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  if (metric === "MAE") return value.toFixed(3);
  if (metric === "BER") return value.toFixed(2);
  return (100 * value).toFixed(2);
}

/** Table labels of summary keys that are not metric names. */
const LABELS: Readonly<Record<string, string>> = { [IMAGE_MEAN_IOU]: "image mIoU" };

/** What a table or a summary line calls a metric: its name, or "image mIoU" for `imageMeanIoU`. */
export function metricLabel(metric: string): string {
  return LABELS[metric] ?? metric;
}

/** A column header with the direction of improvement, e.g. "mIoU ↑", "BER ↓", "image mIoU ↑". */
export function metricHeader(metric: string): string {
  return `${metricLabel(metric)} ${higherIsBetter(metric) ? "↑" : "↓"}`;
}

/**
 * The columns a table of these summaries shows: the task's metrics, and "image mIoU" right after
 * mIoU where mIoU is the class-pooled one (metrics/dataset-metrics.ts).
 * @example reportedMetrics([vocSummary], ["mIoU"]) // ["mIoU", "imageMeanIoU"]
 */
export function reportedMetrics(
  summaries: readonly { metrics: Readonly<Record<string, number>> }[],
  metrics: readonly string[],
): string[] {
  const withImageMean = summaries.some((s) => IMAGE_MEAN_IOU in s.metrics);
  return metrics.flatMap((m) => (m === "mIoU" && withImageMean ? [m, IMAGE_MEAN_IOU] : [m]));
}

/** A table cell's text with Markdown table pipes escaped. */
export function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** JSON that keeps NaN and infinities visible as null (JSON has no NaN) and ends with a newline. */
function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
    indent,
  );
}

/**
 * Per-image records as JSON Lines, each line tagged with task and method so files from many runs can
 * be concatenated and still be told apart.
 */
export function recordsToJsonl(
  records: readonly ImageRecord[],
  tags: { task: string; method: string },
): string {
  return records.map((r) => `${toJson({ task: tags.task, method: tags.method, ...r })}\n`).join("");
}

/** The summary as pretty JSON (NaN written as null). */
export function summaryToJson(summary: EvaluationSummary | readonly EvaluationSummary[]): string {
  return `${toJson(summary, 2)}\n`;
}

/**
 * A Markdown table, one row per method, one column per metric ({@link reportedMetrics}: "image
 * mIoU" joins a class-pooled mIoU), plus images and time per image. The best value of each metric
 * column is set in bold.
 * @example markdownTable([summary], ["mIoU", "F"])
 */
export function markdownTable(
  summaries: readonly Pick<EvaluationSummary, "method" | "metrics" | "images" | "msPerImage">[],
  taskMetrics: readonly MetricName[],
): string {
  const metrics = reportedMetrics(summaries, taskMetrics);
  const best = new Map<string, number>();
  for (const m of metrics) {
    const values = summaries
      .map((s) => s.metrics[m])
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length > 0) best.set(m, higherIsBetter(m) ? Math.max(...values) : Math.min(...values));
  }
  const header = `| method | ${metrics.map(metricHeader).join(" | ")} | images | ms / image |`;
  const rule = `| --- | ${metrics.map(() => "---:").join(" | ")} | ---: | ---: |`;
  const rows = summaries.map((s) => {
    const cells = metrics.map((m) => {
      const text = formatMetric(m, s.metrics[m]);
      const isBest =
        best.get(m) !== undefined && formatMetric(m, best.get(m)) === text && summaries.length > 1;
      return isBest ? `**${text}**` : text;
    });
    const ms = Number.isFinite(s.msPerImage) ? s.msPerImage.toFixed(s.msPerImage < 10 ? 1 : 0) : "n/a";
    return `| ${escapeCell(s.method)} | ${cells.join(" | ")} | ${s.images} | ${ms} |`;
  });
  return [header, rule, ...rows].join("\n") + "\n";
}

/**
 * Per-class table (VOC-style tasks): one row per class, one column per method, values are the
 * class's `metric` (for a class-pooled mIoU the class's pooled IoU, else the mean over its images).
 */
export function perClassTable(summaries: readonly EvaluationSummary[], metric: MetricName = "mIoU"): string {
  const classes = [...new Set(summaries.flatMap((s) => s.perClass.map((c) => c.className)))].sort();
  if (classes.length === 0) return "";
  const header = `| class | images | ${summaries.map((s) => escapeCell(s.method)).join(" | ")} |`;
  const rule = `| --- | ---: | ${summaries.map(() => "---:").join(" | ")} |`;
  const rows = classes.map((name) => {
    const images = summaries[0].perClass.find((c) => c.className === name)?.images ?? 0;
    const cells = summaries.map((s) =>
      formatMetric(metric, s.perClass.find((c) => c.className === name)?.means[metric]),
    );
    return `| ${escapeCell(name)} | ${images} | ${cells.join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n") + "\n";
}

/**
 * Appends records to a JSONL file as they arrive, so a long run leaves usable partial results if it
 * is interrupted. The file is truncated on open; `write` may name another method than `tags` (one
 * file for every method of a task).
 */
export async function openJsonlWriter(
  path: string,
  tags: { task: string; method: string },
): Promise<{ write(record: ImageRecord, method?: string): Promise<void>; close(): Promise<void> }> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "w");
  return {
    async write(record, method) {
      await handle.write(recordsToJsonl([record], method === undefined ? tags : { ...tags, method }));
    },
    async close() {
      await handle.close();
    },
  };
}

/** Writes text to a file, creating its folder. */
export async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
