import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listDatasetTasks, loadDataset } from "./loader.ts";
import { loadPair } from "./pair.ts";
import { resolveDatasetsRoot } from "./root.ts";

const root = resolveDatasetsRoot();
const present = existsSync(root);
if (!present) console.warn(`skipping the real-dataset tests: no datasets at ${root} (set ALIGNSAM_DATASETS)`);

describe.skipIf(!present)(`the real datasets at ${root}`, () => {
  it("has every task the project evaluates", async () => {
    expect(await listDatasetTasks(root)).toEqual(
      expect.arrayContaining(["blur", "coco_mval", "glass", "saliency", "shadow"]),
    );
  });

  it("loads every task with pairs, no problems, and a first pair whose sizes agree", async () => {
    for (const task of await listDatasetTasks(root)) {
      const ds = await loadDataset(task, { root });
      expect(ds.pairs.length, task).toBeGreaterThan(0);
      expect(ds.problems, task).toEqual([]);
      const { image, mask } = await loadPair(ds.pairs[0]);
      expect([mask.width, mask.height], task).toEqual([image.width, image.height]);
      const fg = mask.data.reduce((s, v) => s + v, 0);
      expect(fg, `${task}: ${ds.pairs[0].id} has foreground`).toBeGreaterThan(0);
    }
  });

  it("labels every coco_mval pair with its class", async () => {
    const ds = await loadDataset("coco_mval", { root });
    expect(ds.pairs.every((p) => (p.classes?.length ?? 0) > 0)).toBe(true);
  });
});
