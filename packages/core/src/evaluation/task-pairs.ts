/**
 * Which pairs of a dataset folder a task is scored on. Only the voc task needs a choice: coco_mval
 * holds the 20 VOC classes plus one image of each of 60 other COCO classes, and the paper's Table 3
 * is over the 20 VOC classes, so by default the others are left out (meta.json says which is which).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Dataset, DatasetPair } from "../datasets/loader.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
import { isClassPrompted } from "./evaluate.ts";

const MetaSchema = z.record(z.string(), z.object({ voc_class: z.string().nullable().optional() }).loose());

/**
 * The task's pairs, with a note for the report when some were left out.
 * @example const { pairs } = await taskPairs(voc, await loadDataset("coco_mval"));
 */
export async function taskPairs(
  task: TaskDefinition,
  dataset: Dataset,
  options: { vocAllClasses?: boolean } = {},
): Promise<{ pairs: DatasetPair[]; note?: string }> {
  if (!isClassPrompted(task) || options.vocAllClasses) return { pairs: dataset.pairs };
  let text: string;
  try {
    text = await readFile(join(dataset.folder, "meta.json"), "utf8");
  } catch {
    return { pairs: dataset.pairs };
  }
  const meta = MetaSchema.parse(JSON.parse(text));
  const kept = dataset.pairs.filter((p) => typeof meta[p.id]?.voc_class === "string");
  if (kept.length === 0) return { pairs: dataset.pairs };
  return {
    pairs: kept,
    note: `Scored on the ${kept.length} of ${dataset.pairs.length} pairs whose class is one of the 20 PASCAL VOC classes (meta.json voc_class); per-class means are over those classes.`,
  };
}

/**
 * At most `max` items spread evenly over the list: ids sort by source (blur: motion* before
 * out_of_focus*; voc: by class name), so taking the first N would score one kind of image only.
 * @example spread(["a", "b", "c", "d"], 2) // ["a", "c"]
 */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]);
}
