/**
 * docs/ARCHITECTURE.md stays true to the tree: every repository path it names in backticks exists.
 * A renamed or moved module fails this test until the map is updated with it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const TOP_LEVEL = /^(packages|infra|bench|tests|docs|policies)\/|^sst\.config\.ts$/;

/** Backticked spans that look like repository paths (placeholders such as `<t>` left out). */
function namedPaths(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]);
  return [...new Set(spans.filter((s) => TOP_LEVEL.test(s) && !s.includes("<")))];
}

describe("docs/ARCHITECTURE.md", () => {
  const doc = readFileSync(join(ROOT, "docs/ARCHITECTURE.md"), "utf8");

  it("names only paths that exist", () => {
    const paths = namedPaths(doc);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it("would notice a path that does not exist", () => {
    expect(namedPaths("see `packages/core/src/nowhere.ts` and `tenants/<t>/inputs/`")).toEqual([
      "packages/core/src/nowhere.ts",
    ]);
  });
});
