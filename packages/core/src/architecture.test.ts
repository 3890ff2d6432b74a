/**
 * Layering of @alignsam/core at the folder level: no import loop between its top-level folders
 * (agent, image, mask, models, tf, ...; a file directly under src/ is a node of its own). A loop
 * means neither side can be read, tested or moved without the other. Imports are read with the
 * TypeScript compiler's own pre-processor (static, type-only, re-exports and dynamic `import()`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));

/** One folder-level edge and the first import that makes it, for the failure message. */
type FolderGraph = Map<string, Map<string, string>>;

/** Folder graph of `sources` (path relative to src/, "/"-separated -> text); test files left out. */
function folderGraph(sources: ReadonlyMap<string, string>): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const [file, text] of sources) {
    if (!file.endsWith(".ts") || file.endsWith(".test.ts")) continue;
    const from = file.split("/")[0];
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith(".")) continue; // packages and node: builtins
      const target = posix.normalize(posix.join(posix.dirname(file), fileName));
      if (target.startsWith("../")) continue; // outside src/ (none today)
      const to = target.split("/")[0];
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${file} imports ${fileName}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** One loop per set of folders that import each other, as a path "a -> b -> a" with the import behind each step. */
function findLoops(graph: FolderGraph): string[] {
  // Tarjan's strongly connected components, then one shortest loop through each component's first node.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);

  return components.map((component) => {
    const start = component[0];
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0 && !previous.has(start)) {
      const v = queue.shift()!;
      for (const w of graph.get(v)?.keys() ?? []) {
        if (component.includes(w) && !previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = previous.get(start)!; v !== start; v = previous.get(v)!) path.unshift(v);
    path.unshift(start);
    const steps = path.slice(1).map((to, i) => `  ${path[i]} -> ${to}: ${graph.get(path[i])!.get(to)}`);
    return `${component.join(", ")} import each other: ${path.join(" -> ")}\n${steps.join("\n")}`;
  });
}

function readSources(root: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const file of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".ts")) continue;
    sources.set(file.split(sep).join("/"), readFileSync(join(root, file), "utf8"));
  }
  return sources;
}

describe("folder-level layering of packages/core/src", () => {
  it("finds a loop between folders and names the imports that make it", () => {
    const loops = findLoops(
      folderGraph(
        new Map([
          ["image/letterbox.ts", 'import type { Point } from "../models/ports.ts";'],
          ["models/ports.ts", 'export type { RgbImage } from "../image/types.ts";\nimport "./local.ts";'],
          ["models/onnx-sam/state.ts", 'const m = await import("../../mask/types.ts");'],
          ["mask/types.ts", 'import { z } from "zod";'],
          ["mask/types.test.ts", 'import "../image/letterbox.ts";'], // tests do not count
          ["errors.ts", 'import "./mask/types.ts";'],
        ]),
      ),
    );
    expect(loops).toEqual([
      [
        "image, models import each other: image -> models -> image",
        "  image -> models: image/letterbox.ts imports ../models/ports.ts",
        "  models -> image: models/ports.ts imports ../image/types.ts",
      ].join("\n"),
    ]);
  });

  it("has no import loop between its top-level folders", () => {
    const sources = readSources(SRC);
    expect(sources.size).toBeGreaterThan(100);
    const graph = folderGraph(sources);
    // The layers the loops used to cross: the graph is read, not empty.
    expect(graph.get("mask")?.has("image")).toBe(true);
    expect(graph.get("models")?.has("mask")).toBe(true);
    expect(findLoops(graph), "folder-level import loops in packages/core/src").toEqual([]);
  });
});
