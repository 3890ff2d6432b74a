import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LoadedPair } from "../datasets/pair.ts";
import { createRgbImage } from "../image/types.ts";
import { type BinaryMask, createBinaryMask } from "../mask/types.ts";
import { type EvaluationMethod, evaluate, evaluateMany, type SampleInfo } from "./evaluate.ts";
import {
  formatMetric,
  markdownTable,
  openJsonlWriter,
  perClassTable,
  recordsToJsonl,
  summaryToJson,
} from "./report.ts";

const W = 4;
const H = 4;
/** Ground truth: the left half of a 4x4 image. */
const leftHalf = createBinaryMask(
  W,
  H,
  Uint8Array.from({ length: 16 }, (_, i) => (i % W < 2 ? 1 : 0)),
);
const all = createBinaryMask(W, H, new Uint8Array(16).fill(1));
const topLeft = createBinaryMask(
  W,
  H,
  Uint8Array.from({ length: 16 }, (_, i) => (i % W < 2 && i < 8 ? 1 : 0)),
);

interface Pair extends SampleInfo {
  readonly gt: BinaryMask;
  readonly answer: BinaryMask;
}

const pairs: Pair[] = [
  { id: "a", classes: ["cat"], gt: leftHalf, answer: leftHalf }, // IoU 1, BER 0
  { id: "b", classes: ["dog"], gt: leftHalf, answer: all }, // IoU 0.5, BER 50
  { id: "c", classes: ["dog"], gt: leftHalf, answer: topLeft }, // IoU 0.5, BER 25
];
const load = async (p: Pair): Promise<LoadedPair> => ({ image: createRgbImage(W, H), mask: p.gt });
/** A method that answers from a lookup table, so expected scores are known exactly. */
const lookup: EvaluationMethod = {
  name: "lookup",
  description: "answers from a table",
  predict: (_image, sample) => ({ mask: pairs.find((p) => p.id === sample.id)!.answer }),
};

describe("evaluate", () => {
  it("scores every image with the task's metrics and averages them", async () => {
    const progress: number[] = [];
    const { records, summary } = await evaluate(lookup, pairs, "shadow", {
      load,
      onProgress: (done, total) => progress.push(done / total),
    });
    expect(records.map((r) => r.metrics.mIoU)).toEqual([1, 0.5, 0.5]);
    expect(records.map((r) => r.metrics.BER)).toEqual([0, 50, 25]);
    expect(Object.keys(records[0].metrics).sort()).toEqual(["BER", "mIoU"]);
    expect(progress).toEqual([1 / 3, 2 / 3, 1]);
    expect(summary.images).toBe(3);
    expect(summary.task).toBe("shadow");
    expect(summary.metrics.BER).toBeCloseTo(25, 10);
    // Pooled over images: TP 8+8+4, FN 0+0+4 -> 20/24; TN 8+0+8, FP 0+8+0 -> 16/24.
    expect(summary.pooledBER).toBeCloseTo(100 * (1 - 0.5 * (20 / 24 + 16 / 24)), 10);
    expect(summary.msPerImage).toBeGreaterThanOrEqual(0);
  });

  it("reports VOC mIoU pooled per class, with the per-image mean as image mIoU, in every table", async () => {
    const corner = createBinaryMask(
      W,
      H,
      Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 1 : 0)),
    );
    const voc: Pair[] = [
      { id: "a", classes: ["cat"], gt: leftHalf, answer: leftHalf }, // I 8, U 8: IoU 1
      { id: "b", classes: ["dog"], gt: leftHalf, answer: all }, // I 8, U 16: IoU 0.5
      { id: "d", classes: ["dog"], gt: leftHalf, answer: corner }, // I 1, U 8: IoU 1/8
    ];
    const answers: EvaluationMethod = {
      name: "answers",
      predict: (_image, sample) => ({ mask: voc.find((p) => p.id === sample.id)!.answer }),
    };
    const { summary } = await evaluate(answers, voc, "voc", { load });
    // Standard mIoU: cat 8/8 = 1, dog (8 + 1) / (16 + 8) = 0.375 -> (1 + 0.375) / 2 = 0.6875.
    // Image mean (1 + 0.5 + 0.125) / 3 = 0.541666...; the old class mean of image IoUs,
    // (1 + (0.5 + 0.125) / 2) / 2 = 0.65625, is neither.
    expect(summary.metrics.mIoU).toBeCloseTo(0.6875, 12);
    expect(summary.metrics.imageMeanIoU).toBeCloseTo(1.625 / 3, 12);
    expect(summary.stats.mIoU.mean).toBeCloseTo(1.625 / 3, 12);
    expect(summary.perClass.map((c) => [c.className, c.images, c.means.mIoU, c.means.imageMeanIoU])).toEqual([
      ["cat", 1, 1, 1],
      ["dog", 2, 0.375, 0.3125],
    ]);
    expect(markdownTable([summary], ["mIoU"])).toContain(
      "| method | mIoU ↑ | image mIoU ↑ | images | ms / image |\n| --- | ---: | ---: | ---: | ---: |\n| answers | 68.75 | 54.17 | 3 |",
    );
    expect(perClassTable([summary], "mIoU")).toContain("| dog | 2 | 37.50 |");
    // Forced to the image mean (BASELINES.md's convention): no second column.
    const imageMean = (await evaluate(answers, voc, "voc", { load, classMeanIoU: false })).summary;
    expect(imageMean.metrics).toEqual({ mIoU: imageMean.stats.mIoU.mean });
    expect(markdownTable([imageMean], ["mIoU"])).not.toContain("image mIoU");
  });

  it("streams records through onRecord and can drop them from the result", async () => {
    const seen: string[] = [];
    const { records } = await evaluate(lookup, pairs, "blur", {
      load,
      keepRecords: false,
      onRecord: (r) => {
        seen.push(r.id);
      },
    });
    expect(records).toEqual([]);
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("uses the probability map for MAE when the method gives one", async () => {
    const soft: EvaluationMethod = {
      name: "soft",
      predict: (image) => ({
        mask: createBinaryMask(image.width, image.height),
        probability: { width: W, height: H, data: new Float32Array(16).fill(0.25) },
      }),
    };
    const { summary } = await evaluate(soft, pairs.slice(0, 1), "saliency", { load });
    // Half the pixels are foreground (error 0.75), half background (error 0.25).
    expect(summary.metrics.MAE).toBeCloseTo(0.5, 6);
  });
});

describe("report writers", () => {
  it("puts the summary's numbers in the Markdown table, best in bold", async () => {
    const a = (await evaluate(lookup, pairs, "shadow", { load })).summary;
    const everything: EvaluationMethod = { name: "everything", predict: () => ({ mask: all }) };
    const b = (await evaluate(everything, pairs, "shadow", { load })).summary;
    const table = markdownTable([a, b], ["mIoU", "BER"]);
    expect(table).toContain("| method | mIoU ↑ | BER ↓ | images | ms / image |");
    expect(table).toMatch(/\| lookup \| \*\*66\.67\*\* \| \*\*25\.00\*\* \| 3 \|/);
    expect(table).toMatch(/\| everything \| 50\.00 \| 50\.00 \| 3 \|/);
  });

  it("writes one tagged JSON line per image and a summary that round-trips", async () => {
    const { records, summary } = await evaluate(lookup, pairs, "voc", { load });
    const lines = recordsToJsonl(records, { task: "voc", method: "lookup" }).trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1])).toMatchObject({
      task: "voc",
      method: "lookup",
      id: "b",
      metrics: { mIoU: 0.5 },
    });
    const parsed = JSON.parse(summaryToJson(summary));
    expect(parsed.metrics.mIoU).toBeCloseTo(0.75, 10);
    expect(parsed.pooledBER).toBeNull();
    expect(perClassTable([summary])).toContain("| dog | 2 | 50.00 |");
  });

  it("streams JSONL to a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "alignsam-eval-"));
    try {
      const path = join(dir, "sub", "lookup.jsonl");
      const writer = await openJsonlWriter(path, { task: "blur", method: "lookup" });
      await evaluate(lookup, pairs, "blur", { load, onRecord: (r) => writer.write(r) });
      await writer.close();
      const text = await readFile(path, "utf8");
      expect(
        text
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l).id),
      ).toEqual(["a", "b", "c"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("formats metrics the way the paper prints them", () => {
    expect(formatMetric("mIoU", 0.68474)).toBe("68.47");
    expect(formatMetric("MAE", 0.0823)).toBe("0.082");
    expect(formatMetric("BER", 34.621)).toBe("34.62");
    expect(formatMetric("E", Number.NaN)).toBe("n/a");
  });
});

describe("evaluateMany", () => {
  it("loads each image once and returns one result per method, in order", async () => {
    let loads = 0;
    const counting = async (p: Pair) => {
      loads++;
      return load(p);
    };
    const everything: EvaluationMethod = { name: "everything", predict: () => ({ mask: all }) };
    const results = await evaluateMany([lookup, everything], pairs, "blur", { load: counting });
    expect(loads).toBe(3);
    expect(results.map((r) => r.summary.method)).toEqual(["lookup", "everything"]);
    expect(results[1].records.map((r) => r.metrics.mIoU)).toEqual([0.5, 0.5, 0.5]);
  });

  it("hands the ground truth only to methods that declare they use it (oracles)", async () => {
    const seen: Record<string, boolean[]> = { plain: [], oracle: [] };
    const spy = (name: "plain" | "oracle", usesGroundTruth: boolean): EvaluationMethod => ({
      name,
      usesGroundTruth,
      predict: (_image, sample) => {
        seen[name].push(sample.truth !== undefined);
        return { mask: sample.truth ? (sample.truth as BinaryMask) : all };
      },
    });
    const results = await evaluateMany([spy("plain", false), spy("oracle", true)], pairs, "blur", { load });
    expect(seen).toEqual({ plain: [false, false, false], oracle: [true, true, true] });
    expect(results[1].summary.metrics.mIoU).toBe(1);
  });
});

describe("evaluate's default loader", () => {
  it("refuses pairs without file paths with INVALID_ARGUMENT", async () => {
    await expect(evaluate(lookup, [{ id: "nofiles" }], "blur")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
