import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findRepositoryRoot, resolveDatasetsRoot } from "./root.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

describe("datasets root", () => {
  it("uses ALIGNSAM_DATASETS when set", () => {
    expect(resolveDatasetsRoot({ ALIGNSAM_DATASETS: "/data/sets" })).toBe("/data/sets");
  });

  it("defaults to ../shared/datasets beside the repository root, ignoring an empty variable", () => {
    const expected = resolve(repoRoot, "../shared/datasets");
    expect(resolveDatasetsRoot({})).toBe(expected);
    expect(resolveDatasetsRoot({ ALIGNSAM_DATASETS: "  " })).toBe(expected);
  });

  it("finds the repository root as the folder whose package.json declares workspaces", () => {
    const root = findRepositoryRoot();
    expect(root).toBe(repoRoot);
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(manifest.workspaces).toBeDefined();
    // from a nested folder too, and not from the working directory
    expect(findRepositoryRoot(join(repoRoot, "packages", "core", "src"))).toBe(repoRoot);
    expect(existsSync(join(root, "packages", "core"))).toBe(true);
  });
});
