/**
 * The check that this project's metrics are BASELINES.md's: its trivial rules re-measured on every
 * pair of a reference dataset, beside the values BASELINES.md printed.
 */
import type { DatasetPair } from "../../datasets/loader.ts";
import { loadPair } from "../../datasets/pair.ts";
import type { TaskDefinition } from "../../tasks/registry.ts";
import { evaluateMany } from "../evaluate.ts";
import type { RuleCheck } from "../evaluation-doc.ts";
import { BASELINES_REFERENCE, ruleMethods } from "../suite.ts";
import type { EvalAllOptions } from "./options.ts";

/**
 * Re-measures the BASELINES.md rules of a dataset on all its pairs (same convention: image means).
 * @example await checkRules(blur, "blur", dataset.pairs, options.progress)
 */
export async function checkRules(
  task: TaskDefinition,
  datasetName: string,
  all: readonly DatasetPair[],
  progress: EvalAllOptions["progress"],
): Promise<RuleCheck[]> {
  const reference = BASELINES_REFERENCE[datasetName] ?? [];
  const rules = ruleMethods({ name: task.name, metrics: ["mIoU", "BER", "MAE"] }).filter((m) =>
    reference.some((r) => r.rule === m.name),
  );
  if (rules.length === 0) return [];
  const checking = progress(`${task.name}: rule check`, all.length);
  const results = await evaluateMany(rules, all, task, {
    load: (p: DatasetPair) => loadPair(p),
    metrics: ["mIoU", "BER", "MAE"],
    classMeanIoU: false,
    keepRecords: false,
    onProgress: () => checking.increment(),
  });
  checking.stop();
  return reference.map((r) => {
    const s = results.find((x) => x.summary.method === r.rule)!.summary;
    const value = s.metrics[r.metric];
    return {
      rule: r.rule,
      metric: r.metric,
      reference: r.value,
      measured: r.metric === "mIoU" ? 100 * value : value,
      images: s.images,
    };
  });
}
