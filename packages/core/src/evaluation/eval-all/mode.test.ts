import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMiniDataset } from "../../cli/mini-dataset.ts";
import { ALL_PAIRS_OUT_DIR, resolveMode, selectPairs } from "./mode.ts";

let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "alignsam-eval-all-mode-"));
  data = join(tmp, "data");
  await writeMiniDataset(data, "blur", 2, 64);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("eval:all --all-pairs: choosing tasks, pairs and outputs", () => {
  it("scores every pair and trains on none, whatever --train says", () => {
    const pairs = ["c", "a", "b"].map((id) => ({ id }));
    expect(selectPairs(pairs, { allPairs: true, train: 2, seed: 0 })).toEqual({
      train: [],
      test: [{ id: "a" }, { id: "b" }, { id: "c" }],
    });
    const split = selectPairs(pairs, { allPairs: false, train: 2, seed: 0 });
    expect([split.train.length, split.test.length]).toEqual([2, 1]);
  });

  it("takes the tasks whose folder is under --data-dir and writes outside docs/", async () => {
    const mode = await resolveMode({ allPairs: true, dataDir: data }, {});
    expect(mode.tasks.map((t) => t.name)).toEqual(["blur"]);
    expect(mode.root).toBe(data);
    expect(mode.out).toBe(join(ALL_PAIRS_OUT_DIR, "EVALUATION.md"));
    expect(mode.jsonDir).toBe(ALL_PAIRS_OUT_DIR);
    const project = await resolveMode({ allPairs: false }, { ALIGNSAM_DATASETS: data });
    expect(project.tasks.map((t) => t.name)).toEqual(["blur", "shadow", "glass", "saliency", "voc"]);
    expect([project.root, project.out, project.jsonDir]).toEqual([
      data,
      "docs/EVALUATION.md",
      "docs/evaluation",
    ]);
  });

  it("refuses a named task without a folder, and a folder with none, listing what it found", async () => {
    await expect(resolveMode({ allPairs: true, dataDir: data, tasks: "blur,glass" }, {})).rejects.toThrow(
      /no glass folder with images\/ and masks\/ under .*; found: blur/,
    );
    const empty = join(tmp, "empty");
    await mkdir(empty);
    await expect(resolveMode({ allPairs: true, dataDir: empty }, {})).rejects.toMatchObject({
      code: "DATASET_NOT_FOUND",
    });
  });
});
