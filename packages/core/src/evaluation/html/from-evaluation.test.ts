import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTaskRecords, sectionFromTaskEvaluation, type TaskEvaluationLike } from "./from-evaluation.ts";
import { renderHtmlReport } from "./html-report.ts";

const summary = (method: string, mIoU: number, perClass?: [string, number][]) => ({
  method,
  images: 4,
  metrics: { mIoU },
  msPerImage: 10,
  ...(perClass
    ? { perClass: perClass.map(([className, v]) => ({ className, images: 2, means: { mIoU: v } })) }
    : {}),
});

const voc: TaskEvaluationLike = {
  task: "voc",
  dataset: "coco_mval",
  metrics: ["mIoU"],
  trainImages: 50,
  testImages: 4,
  testAvailable: 90,
  summaries: [
    summary("AlignSAM", 0.3, [
      ["dog", 0.5],
      ["cat", 0.1],
    ]),
    summary("centre click", 0.2, [
      ["dog", 0.25],
      ["cat", 0.15],
    ]),
    summary("rule: all zero", 0, [
      ["dog", 0],
      ["cat", 0],
    ]),
  ],
  sweep: [{ steps: 1, mIoU: 0.1 }],
  verdicts: [],
  ruleChecks: [],
  notes: [],
};

const records = [
  { task: "voc", method: "AlignSAM", id: "a", metrics: { mIoU: 0.9 } },
  { task: "voc", method: "AlignSAM", id: "b", metrics: { mIoU: 0.2 } },
  { task: "voc", method: "centre click", id: "c", metrics: { mIoU: 1 } },
  { task: "voc", method: "AlignSAM", id: "d", metrics: { mIoU: null } },
];

describe("a task evaluation as an HTML section", () => {
  it("takes the histogram and gallery from AlignSAM's records only, skipping images without a score", () => {
    const s = sectionFromTaskEvaluation(voc, records, { mode: "none" });
    expect(s.perImage.map((r) => r.id)).toEqual(["a", "b", "d"]);
    expect(s.gallery.cases.map((c) => [c.rank, c.id])).toEqual([
      ["best", "a"],
      ["worst", "b"],
    ]);
  });

  it("falls back to BASELINES.md's values when the run did not re-measure the rules", () => {
    const s = sectionFromTaskEvaluation(voc, records, { mode: "none" });
    expect(s.floors).toEqual([
      { rule: "rule: everything", metric: "mIoU", reference: 19.3 },
      { rule: "rule: centre box", metric: "mIoU", reference: 16.9 },
    ]);
  });

  it("draws the centre click across the T plot and folds a per-class table without the all-zero rule", () => {
    const s = sectionFromTaskEvaluation(voc, records, { mode: "none" });
    expect(s.sweepReferences).toEqual([{ name: "centre click", mIoU: 0.2 }]);
    expect(s.perClass).toEqual({
      metric: "mIoU",
      methods: ["AlignSAM", "centre click"],
      classes: [
        { name: "cat", images: 2, values: [0.1, 0.15] },
        { name: "dog", images: 2, values: [0.5, 0.25] },
      ],
    });
    const html = renderHtmlReport({ title: "t", preamble: [], sections: [s] });
    expect(html).toContain('<tr data-class="dog"><td>dog</td><td>2</td><td data-value="0.5">50.00</td>');
  });
});

describe("reading saved per-image records", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "alignsam-html-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a line that is not a record with INVALID_ARGUMENT naming the line", async () => {
    await writeFile(
      join(dir, "glass.images.jsonl"),
      `${JSON.stringify(records[0])}\n{"task":"glass","id":"x"}\n`,
    );
    await expect(readTaskRecords(dir, "glass")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("glass.images.jsonl:2"),
    });
  });
});
