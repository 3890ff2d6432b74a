import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMiniDataset } from "./mini-dataset.ts";

const CLI = fileURLToPath(new URL("./main.ts", import.meta.url));
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

/** `alignsam eval-all ARGS` (what `npm run eval:all -- ARGS` runs) in a child process. */
function evalAll(args: readonly string[], timeout: number): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, "eval-all", ...args],
      { env: { ...process.env, ALIGNSAM_TF_BACKEND: "cpu" }, timeout },
      (error, _stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stderr }),
    );
  });
}

describe("npm run eval:all -- --all-pairs (the script itself)", () => {
  it("scores the shipped blur policy with every method on every pair of a new folder, training nothing", async () => {
    const out = join(tmp, "out");
    const run = await evalAll(
      [
        ...["--all-pairs", "--data-dir", data, "--policies", POLICIES],
        ...["--out", join(out, "EVALUATION.md"), "--json-dir", out, "--sweep", "1"],
      ],
      170_000,
    );
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
    expect(report.command).toMatch(/^npm run eval:all -- --all-pairs --data-dir /);
    expect(existsSync(join(out, "blur.html"))).toBe(true);
  }, 180_000);
});

describe("npm run eval:all: refusals", () => {
  it("refuses a bad number with one INVALID_ARGUMENT line naming the flag, writing nothing", async () => {
    const out = join(tmp, "refused");
    const run = await evalAll(
      ["--all-pairs", "--data-dir", data, "--max-test", "x", "--json-dir", out],
      60_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('INVALID_ARGUMENT: --max-test must be an integer >= 0, got "x"');
    expect(existsSync(out)).toBe(false);
  }, 70_000);
});
