/**
 * The task's pairs and the seeded few-shot split, as `train` and `eval` both need them: the same
 * arguments give the same split, so `eval` can score a policy on exactly the images `train` held out.
 */
import { resolve } from "node:path";
import type { DatasetPair } from "../datasets/loader.ts";
import { loadDataset } from "../datasets/loader.ts";
import { loadPair } from "../datasets/pair.ts";
import { resolveDatasetsRoot } from "../datasets/root.ts";
import { splitTrainTest } from "../datasets/split.ts";
import type { PolicySample } from "../evaluation/policy-source.ts";
import { taskPairs } from "../evaluation/task-pairs.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
import { startProgress } from "./progress.ts";

export interface TaskSplit {
  readonly root: string;
  readonly dataset: string;
  readonly train: DatasetPair[];
  readonly test: DatasetPair[];
  /** Why some pairs of the folder are not used (voc: non-VOC classes), for the summary. */
  readonly note?: string;
}

/**
 * Lists the task's dataset (task registry `dataset`, e.g. coco_mval for voc) under `root` and splits
 * it: `samples` training pairs by a `seed`ed shuffle, the rest for testing.
 */
export async function loadTaskSplit(
  task: TaskDefinition,
  options: { root?: string; samples: number; seed: number },
): Promise<TaskSplit> {
  const root = resolve(options.root ?? resolveDatasetsRoot());
  const datasetName = task.dataset ?? task.name;
  const dataset = await loadDataset(datasetName, { root });
  const { pairs, note } = await taskPairs(task, dataset);
  const split = splitTrainTest(pairs, { train: options.samples, seed: options.seed });
  return { root, dataset: datasetName, train: split.train, test: split.test, ...(note ? { note } : {}) };
}

/** Decodes the training pairs (with a progress line), texts from their class names. */
export async function loadSamples(pairs: readonly DatasetPair[], plain: boolean): Promise<PolicySample[]> {
  const progress = startProgress("load", pairs.length, { plain });
  const samples: PolicySample[] = [];
  try {
    for (const p of pairs) {
      const { image, mask } = await loadPair(p);
      samples.push({ id: p.id, image, mask, ...(p.classes ? { texts: p.classes } : {}) });
      progress.increment();
    }
  } finally {
    progress.stop();
  }
  return samples;
}
