import { describe, expect, it } from "vitest";
import { defaultTaskRegistry } from "../tasks/registry.ts";
import type { ImageResult } from "./aggregate.ts";
import { datasetMetrics, iouConventionFor, summarizeImages } from "./dataset-metrics.ts";
import { evaluateImage } from "./evaluate.ts";
import { mask } from "./hand-cases.ts";

/** A 1-row pred/gt pair with the given counts: tp (1,1), fp (1,0), fn (0,1), tn (0,0). */
function scored(counts: { tp: number; fp: number; fn: number; tn: number }, classes?: string[]): ImageResult {
  const runs: [number, number, number][] = [
    [counts.tp, 1, 1],
    [counts.fp, 1, 0],
    [counts.fn, 0, 1],
    [counts.tn, 0, 0],
  ];
  const pred = runs.flatMap(([n, p]) => Array<number>(n).fill(p));
  const gt = runs.flatMap(([n, , g]) => Array<number>(n).fill(g));
  return evaluateImage(mask(pred.length, 1, pred), mask(gt.length, 1, gt), {
    metrics: ["mIoU"],
    ...(classes ? { classes } : {}),
  });
}

// Per-image IoU: 8/10 = 0.8, 1/4 = 0.25, 3/4 = 0.75.
const images = [
  { tp: 8, fp: 2, fn: 0, tn: 5 },
  { tp: 1, fp: 1, fn: 2, tn: 5 },
  { tp: 3, fp: 1, fn: 0, tn: 5 },
];

describe("datasetMetrics: the one aggregation of CLI eval, eval:all and the worker's reduce", () => {
  it("forms the standard semantic-segmentation mIoU for class-prompted tasks", () => {
    const results = [scored(images[0], ["cat"]), scored(images[1], ["cat"]), scored(images[2], ["dog"])];
    const { metrics, perClass } = summarizeImages(results, { metrics: ["mIoU"], iou: "class-pooled" });
    // cat: (8 + 1) / (10 + 4) = 9/14; dog: 3/4 -> mIoU (9/14 + 3/4) / 2. Image mean (0.8 + 0.25 + 0.75) / 3 = 0.6.
    expect(metrics.mIoU).toBeCloseTo((9 / 14 + 3 / 4) / 2, 12);
    expect(metrics.imageMeanIoU).toBeCloseTo(0.6, 12);
    expect(perClass.map((c) => c.means.mIoU)).toEqual([9 / 14, 3 / 4]);
  });

  it("pools all images as one class when none is named (a worker evaluation without className)", () => {
    const { metrics } = summarizeImages(
      images.map((c) => scored(c)),
      { metrics: ["mIoU"], iou: "class-pooled" },
    );
    // (8 + 1 + 3) / (10 + 4 + 4) = 12/18
    expect(metrics.mIoU).toBeCloseTo(12 / 18, 12);
    expect(metrics.imageMeanIoU).toBeCloseTo(0.6, 12);
  });

  it("reports the per-image mean as mIoU for single-concept tasks, and nothing beside it", () => {
    const { metrics } = summarizeImages(
      images.map((c) => scored(c)),
      { metrics: ["mIoU"], iou: "image-mean" },
    );
    expect(metrics).toEqual({ mIoU: expect.closeTo(0.6, 12) });
  });

  it("leaves a class with an empty union out of the class mean, and gives NaN without counts", () => {
    const results = [scored(images[2], ["dog"]), scored({ tp: 0, fp: 0, fn: 0, tn: 4 }, ["cow"])];
    const { metrics } = summarizeImages(results, { metrics: ["mIoU"], iou: "class-pooled" });
    expect(metrics.mIoU).toBeCloseTo(3 / 4, 12); // cow has no union: not 1, not 0, not counted
    const noCounts = datasetMetrics(
      summarizeImages([{ values: { mIoU: 0.5 } }], { metrics: ["mIoU"], iou: "image-mean" }).aggregate,
      { metrics: ["mIoU"], iou: "class-pooled" },
    );
    expect(noCounts.metrics.mIoU).toBeNaN();
    expect(noCounts.metrics.imageMeanIoU).toBe(0.5);
  });

  it("pools for voc only among the built-in tasks", () => {
    const conventions = defaultTaskRegistry.list().map((t) => [t.name, iouConventionFor(t)]);
    expect(conventions).toEqual([
      ["blur", "image-mean"],
      ["shadow", "image-mean"],
      ["glass", "image-mean"],
      ["saliency", "image-mean"],
      ["voc", "class-pooled"],
    ]);
  });
});
