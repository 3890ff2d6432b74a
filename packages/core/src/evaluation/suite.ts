/**
 * Which methods a task's evaluation compares: the BASELINES.md rules that apply to it, the
 * segmenter baselines, and AlignSAM with its ablations. One place, so the report command and any
 * other caller (a worker's evaluation job) compare the same things.
 */
import type { MetricName, TaskDefinition } from "../tasks/registry.ts";
import { allZeroRule, blurRule, centreBoxRule, everythingRule, shadowRule } from "./baselines.ts";
import type { EvaluationMethod } from "./evaluate.ts";

/** The rules of BASELINES.md that apply to a task, as evaluation methods. */
export function ruleMethods(task: Pick<TaskDefinition, "name" | "metrics">): EvaluationMethod[] {
  const rules: EvaluationMethod[] = [];
  if (task.name === "blur") {
    rules.push({
      name: "rule: low Laplacian energy (Otsu)",
      description: "grey, |Laplacian| smoothed by a Gaussian (sigma 8 px), blurred where below Otsu",
      predict: (image) => ({ mask: blurRule(image) }),
    });
  }
  if (task.name === "shadow") {
    rules.push({
      name: "rule: dark (Otsu)",
      description: "grey smoothed by a Gaussian (sigma 2 px), shadow where below Otsu",
      predict: (image) => ({ mask: shadowRule(image) }),
    });
  }
  rules.push(
    {
      name: "rule: everything",
      description: "every pixel is foreground",
      predict: (image) => ({ mask: everythingRule(image) }),
    },
    {
      name: "rule: centre box",
      description: "the middle half of each side is foreground",
      predict: (image) => ({ mask: centreBoxRule(image) }),
    },
  );
  if (task.metrics.includes("MAE" satisfies MetricName)) {
    rules.push({
      name: "rule: all zero",
      description: "an all-zero probability map (the MAE floor)",
      predict: (image) => {
        const probability = allZeroRule(image);
        return {
          mask: {
            width: image.width,
            height: image.height,
            data: new Uint8Array(image.width * image.height),
          },
          probability,
        };
      },
    });
  }
  return rules;
}

/** The reference numbers of BASELINES.md (measured on all pairs of each dataset folder), in percent / MAE. */
export const BASELINES_REFERENCE: Readonly<
  Record<string, readonly { rule: string; metric: string; value: number }[]>
> = {
  blur: [
    { rule: "rule: low Laplacian energy (Otsu)", metric: "mIoU", value: 77.0 },
    { rule: "rule: low Laplacian energy (Otsu)", metric: "BER", value: 25.0 },
  ],
  shadow: [
    { rule: "rule: dark (Otsu)", metric: "mIoU", value: 47.2 },
    { rule: "rule: dark (Otsu)", metric: "BER", value: 15.1 },
  ],
  glass: [
    { rule: "rule: everything", metric: "mIoU", value: 58.2 },
    { rule: "rule: centre box", metric: "mIoU", value: 27.0 },
  ],
  saliency: [
    { rule: "rule: centre box", metric: "mIoU", value: 24.2 },
    { rule: "rule: all zero", metric: "MAE", value: 0.097 },
  ],
  coco_mval: [
    { rule: "rule: everything", metric: "mIoU", value: 19.3 },
    { rule: "rule: centre box", metric: "mIoU", value: 16.9 },
  ],
};
