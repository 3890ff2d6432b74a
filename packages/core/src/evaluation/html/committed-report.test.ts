/**
 * The HTML report committed under docs/evaluation/ (written by eval:all from the JSON beside
 * it): its tables, plots and gallery are there, its numbers are the JSON's, it carries no dataset
 * pixels, and it is what rendering the JSON gives today (i.e. it was regenerated).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findRepositoryRoot } from "../../datasets/root.ts";
import { formatMetric } from "../report.ts";
import {
  benchmarkReport,
  HISTOGRAM_METHOD,
  methodRecords,
  type RecordLine,
  readSavedReport,
  readTaskRecords,
  type SavedReport,
  type SavedTaskEvaluation,
  sectionFromTaskEvaluation,
} from "./from-evaluation.ts";
import { pickGalleryCases } from "./gallery.ts";
import { renderHtmlReport } from "./html-report.ts";
import { binValues } from "./svg-plots.ts";

const TASK = "glass";
const jsonDir = join(findRepositoryRoot(), "docs", "evaluation");
const htmlPath = join(jsonDir, `${TASK}.html`);

const unescapeHtml = (s: string) =>
  s
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");

/** The inner HTML of the first element with data-section="name". */
function section(html: string, tag: string, name: string): string {
  const match = new RegExp(`<${tag}\\b[^>]*data-section="${name}"[^>]*>([\\s\\S]*?)</${tag}>`).exec(html);
  expect(match, `${tag}[data-section=${name}]`).not.toBeNull();
  return match![1];
}

describe.skipIf(!existsSync(htmlPath))(
  `the committed ${TASK} HTML report (docs/evaluation/${TASK}.html)`,
  () => {
    let html: string;
    let run: SavedReport;
    let task: SavedTaskEvaluation;
    let records: RecordLine[];

    beforeAll(async () => {
      html = readFileSync(htmlPath, "utf8");
      run = await readSavedReport(jsonDir);
      task = run.tasks.find((t) => t.task === TASK)!;
      records = await readTaskRecords(jsonDir, TASK);
    });

    it("has one methods row per summary with the JSON's numbers", () => {
      const table = section(html, "table", "methods");
      const rows = [...table.matchAll(/<tr[^>]*data-method="([^"]*)">([\s\S]*?)<\/tr>/g)];
      expect(rows.map((r) => unescapeHtml(r[1]))).toEqual(task.summaries.map((s) => s.method));
      for (const [i, s] of task.summaries.entries()) {
        const cells = [
          ...rows[i][2].matchAll(/<td data-metric="([^"]*)" data-value="([^"]*)"[^>]*>([^<]*)<\/td>/g),
        ];
        expect(cells.map((c) => c[1])).toEqual(task.metrics);
        for (const [metric, value, text] of cells.map((c) => [c[1], c[2], c[3]])) {
          const expected = s.metrics[metric];
          expect(value === "" ? null : Number(value)).toBe(expected ?? null);
          expect(text).toBe(formatMetric(metric, expected ?? undefined));
        }
      }
    });

    it("has the BASELINES.md floors with this run's re-measurement", () => {
      const table = section(html, "table", "floors");
      const rows = [
        ...table.matchAll(
          /<tr data-rule="([^"]*)" data-metric="([^"]*)">[\s\S]*?<td data-value="([^"]*)">[\s\S]*?<td data-value="([^"]*)">/g,
        ),
      ];
      expect(rows.map((r) => [unescapeHtml(r[1]), r[2], Number(r[3]), Number(r[4])])).toEqual(
        task.ruleChecks.map((c) => [c.rule, c.metric, c.reference, c.measured]),
      );
    });

    it("plots mIoU against T at the JSON's sweep values", () => {
      const figure = section(html, "figure", "sweep");
      const points = [...figure.matchAll(/<circle [^>]*data-x="([^"]*)" data-y="([^"]*)"/g)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]);
      expect(points).toEqual(task.sweep.map((s) => [s.steps, 100 * (s.mIoU as number)]));
      expect(figure).toMatch(/<title id="[^"]+">[^<]*mIoU against the number of clicks T<\/title>/);
    });

    it("histograms AlignSAM's per-image IoU from the JSONL", () => {
      const figure = section(html, "figure", "histogram");
      const counts = [...figure.matchAll(/data-count="(\d+)"/g)].map((m) => Number(m[1]));
      const values = methodRecords(records, HISTOGRAM_METHOD).map((r) => r.metrics.mIoU);
      expect(values).toHaveLength(task.testImages);
      expect(counts).toEqual(binValues(values, 10, [0, 1]).map((b) => b.count));
    });

    it("lists the best, median and worst images without any dataset pixels", () => {
      const gallery = section(html, "section", "gallery");
      expect(html).toContain('data-section="gallery" data-mode="none"');
      const ids = [...gallery.matchAll(/<tr data-rank="(\w+)" data-id="([^"]*)">/g)].map((m) => [
        m[1],
        unescapeHtml(m[2]),
      ]);
      const expected = pickGalleryCases(methodRecords(records, HISTOGRAM_METHOD), "mIoU").map((c) => [
        c.rank,
        c.id,
      ]);
      expect(ids).toEqual(expected);
      expect(ids.map((r) => r[0])).toEqual(["best", "median", "worst"]);
      expect(html).not.toMatch(/data:image|<img\b|<image\b/);
      expect(gallery).toContain("licences forbid redistributing");
    });

    it("is what the saved JSON renders to today (regenerate: npm run eval:all -- --render-only)", () => {
      const fresh = renderHtmlReport(
        benchmarkReport(run, sectionFromTaskEvaluation(task, records, { mode: "none" })),
      );
      expect(
        html === fresh,
        `docs/evaluation/${TASK}.html is stale: run npm run eval:all -- --render-only`,
      ).toBe(true);
    });
  },
);
