/**
 * A cheap overview of what is on disk (no pixels decoded): for the `alignsam datasets` command and
 * for checking a fresh machine before a long evaluation.
 */
import { listDatasetTasks, loadDataset } from "./loader.ts";
import { resolveDatasetsRoot } from "./root.ts";

export interface DatasetDescription {
  readonly task: string;
  readonly folder: string;
  readonly pairs: number;
  /** Distinct class names over the pairs (0 when the task has no classes.json). */
  readonly classes: number;
  readonly problems: readonly string[];
}

/**
 * Lists every task under `root` with its pair count, class count and problems.
 * @example for (const d of await describeDatasets()) console.log(d.task, d.pairs);
 */
export async function describeDatasets(root: string = resolveDatasetsRoot()): Promise<DatasetDescription[]> {
  const out: DatasetDescription[] = [];
  for (const task of await listDatasetTasks(root)) {
    const dataset = await loadDataset(task, { root });
    const classNames = new Set(dataset.pairs.flatMap((p) => p.classes ?? []));
    out.push({
      task,
      folder: dataset.folder,
      pairs: dataset.pairs.length,
      classes: classNames.size,
      problems: dataset.problems,
    });
  }
  return out;
}

/**
 * Renders descriptions as an aligned text table, problems listed under it.
 * @example console.log(formatDatasetTable(await describeDatasets()));
 */
export function formatDatasetTable(descriptions: readonly DatasetDescription[], root?: string): string {
  const header = ["task", "pairs", "classes", "problems"];
  const rows = descriptions.map((d) => [
    d.task,
    String(d.pairs),
    String(d.classes),
    String(d.problems.length),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  const lines: string[] = [];
  if (root !== undefined) lines.push(`datasets root: ${root}`);
  lines.push(line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line));
  if (descriptions.length === 0) lines.push("(no task folders with images/ and masks/)");
  for (const d of descriptions) {
    for (const problem of d.problems) lines.push(`${d.task}: ${problem}`);
  }
  return lines.join("\n");
}
