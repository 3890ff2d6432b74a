import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Dataset } from "../datasets/loader.ts";
import { defaultTaskRegistry } from "../tasks/registry.ts";
import type { EvaluationSummary } from "./evaluate.ts";
import { EVALUATION_CONVENTIONS, type EvaluationReport, renderEvaluationDoc } from "./evaluation-doc.ts";
import { ruleMethods } from "./suite.ts";
import { taskPairs } from "./task-pairs.ts";

describe("ruleMethods", () => {
  it("gives each task the BASELINES.md rules that apply to it", () => {
    const names = (task: string) => ruleMethods(defaultTaskRegistry.get(task)).map((m) => m.name);
    expect(names("blur")).toEqual([
      "rule: low Laplacian energy (Otsu)",
      "rule: everything",
      "rule: centre box",
    ]);
    expect(names("shadow")[0]).toBe("rule: dark (Otsu)");
    expect(names("saliency")).toContain("rule: all zero");
    expect(names("glass")).not.toContain("rule: all zero");
  });
});

describe("taskPairs", () => {
  it("keeps only VOC-class pairs for voc and explains it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "alignsam-pairs-"));
    try {
      await writeFile(
        join(dir, "meta.json"),
        JSON.stringify({ a: { voc_class: "cat", class: "cat" }, b: { voc_class: null, class: "kite" } }),
      );
      const pair = (id: string) => ({ id, imagePath: `${id}.jpg`, maskPath: `${id}.png`, classes: [id] });
      const dataset: Dataset = {
        task: "coco_mval",
        root: dir,
        folder: dir,
        pairs: [pair("a"), pair("b")],
        problems: [],
      };
      const voc = await taskPairs(defaultTaskRegistry.get("voc"), dataset);
      expect(voc.pairs.map((p) => p.id)).toEqual(["a"]);
      expect(voc.note).toMatch(/1 of 2 pairs/);
      expect(
        (await taskPairs(defaultTaskRegistry.get("voc"), dataset, { vocAllClasses: true })).pairs,
      ).toHaveLength(2);
      expect((await taskPairs(defaultTaskRegistry.get("glass"), dataset)).pairs).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("renderEvaluationDoc", () => {
  const summary = (method: string, mIoU: number): EvaluationSummary => ({
    task: "blur",
    method,
    images: 3,
    metrics: { mIoU, F: 0.5, BER: 20 },
    stats: {},
    perClass: [],
    pooledBER: 21,
    msPerImage: 12,
  });

  it("puts every task's table, sweep, verdicts and settings on the page", () => {
    const report: EvaluationReport = {
      createdAt: "2026-11-27T11:00:00Z",
      command: "npm run eval:all -- --tasks blur",
      machine: { cpu: "Test CPU", cores: 2, memoryGiB: 8, platform: "linux-x64", node: "24.0.0" },
      settings: { epochs: 3, steps: 15 },
      totalMs: 120_000,
      tasks: [
        {
          task: "blur",
          dataset: "blur",
          metrics: ["mIoU", "F", "BER"],
          trainImages: 50,
          testImages: 3,
          testAvailable: 150,
          summaries: [summary("AlignSAM", 0.6123), summary("rule: a|b", 0.7)],
          sweep: [
            { steps: 1, mIoU: 0.3 },
            { steps: 5, mIoU: 0.55 },
          ],
          verdicts: ["AlignSAM clearly beats centre click on mIoU."],
          ruleChecks: [{ rule: "rule: a|b", metric: "mIoU", reference: 77, measured: 76.98, images: 200 }],
          evaluationMs: 60_000,
          notes: [],
        },
      ],
    };
    const page = renderEvaluationDoc(report, EVALUATION_CONVENTIONS);
    expect(page).toContain("## blur (blur)");
    expect(page).toContain("| AlignSAM | 61.23 | **50.00** | **20.00** | 3 | 12 |");
    expect(page).toContain("| rule: a\\|b | **70.00** |");
    expect(page).toContain("| mIoU | 30.00 | 55.00 |");
    expect(page).toContain("- AlignSAM clearly beats centre click on mIoU.");
    expect(page).toContain("3 of 150, spread evenly over the ids");
    expect(page).toContain("| rule: a\\|b | mIoU | 77.0 | 77.0 | 200 |");
    expect(page).toContain("epochs = 3, steps = 15");
  });
});
