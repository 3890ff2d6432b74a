import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PAIRS_OUT_DIR, resolveMode, selectPairs } from "../../bench/evaluate-all-mode.ts";
import { writeMiniDataset } from "./mini-dataset.ts";

const SCRIPT = fileURLToPath(new URL("../../bench/evaluate-all.ts", import.meta.url));
const POLICIES = fileURLToPath(new URL("../../../../policies", import.meta.url));

let tmp: string;
let data: string;
let images: string[];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "alignsam-eval-all-"));
  data = join(tmp, "data");
  images = await writeMiniDataset(data, "blur", 2, 64);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("evaluate-all --all-pairs: choosing tasks, pairs and outputs", () => {
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

describe("npm run eval:all -- --all-pairs (the script itself)", () => {
  it("scores the shipped blur policy with every method on every pair of a new folder, training nothing", async () => {
    const out = join(tmp, "out");
    const run = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [
          SCRIPT,
          ...["--all-pairs", "--data-dir", data, "--policies", POLICIES],
          ...["--out", join(out, "EVALUATION.md"), "--json-dir", out, "--sweep", "1"],
        ],
        { env: { ...process.env, ALIGNSAM_TF_BACKEND: "cpu" }, timeout: 170_000 },
        (error, _stdout, stderr) =>
          done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stderr }),
      );
    });
    expect(run.stderr).not.toMatch(/not using|Error/);
    expect(run.code).toBe(0);
    const byMethod = new Map<string, string[]>();
    for (const line of (await readFile(join(out, "blur.images.jsonl"), "utf8")).trim().split("\n")) {
      const r = JSON.parse(line) as { method: string; id: string };
      byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r.id]);
    }
    const ids = images.map((p) => basename(p, ".png"));
    for (const method of [
      "AlignSAM",
      "AlignSAM w/o RL",
      "AlignSAM, actor before PPO",
      "AlignSAM w/o SRM",
      "AlignSAM w/o MSI (T = 1)",
      "SRM map alone",
      "oracle clicks (17)",
      "centre click",
      "rule: everything",
    ]) {
      expect(byMethod.get(method)?.sort(), method).toEqual(ids);
    }
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.tasks[0]).toMatchObject({ trainImages: 0, testImages: 2, policy: { source: "loaded" } });
    expect(report.tasks[0].notes.join(" ")).toContain("--all-pairs");
    expect(existsSync(join(out, "blur.html"))).toBe(true);
  }, 180_000);
});
