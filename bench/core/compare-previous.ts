/**
 * AlignSAM now against the policies shipped before, on the same test images: pairs this run's
 * per-image records (docs/evaluation/<task>.images.jsonl) with the ones committed at a git revision
 * (the previous policies' evaluation, made with `--max-test 40`, so the pairs are those 40 images)
 * and writes docs/evaluation/previous-policies.md, which evaluate-all appends to docs/EVALUATION.md.
 *
 * Run: npm exec -- node bench/core/compare-previous.ts --ref 96c4d3e [--tasks blur,shadow]
 */
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findRepositoryRoot } from "../../packages/core/src/datasets/root.ts";
import { pairedDifference, verdict } from "../../packages/core/src/evaluation/compare.ts";
import type { ImageRecord } from "../../packages/core/src/evaluation/evaluate.ts";
import { defaultTaskRegistry } from "../../packages/core/src/tasks/registry.ts";

const { values } = parseArgs({
  options: {
    ref: { type: "string", default: "96c4d3e" },
    method: { type: "string", default: "AlignSAM" },
    tasks: { type: "string", default: defaultTaskRegistry.names().join(",") },
    dir: { type: "string", default: "docs/evaluation" },
  },
});
const repo = findRepositoryRoot();

function records(text: string, method: string): ImageRecord[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as ImageRecord & { method: string })
    .filter((r) => r.method === method);
}

const lines = [
  "",
  "## Against the previously shipped policies",
  "",
  `AlignSAM of this run against the policies shipped at revision \`${values.ref}\` (10 x 10 SRM), paired on the test ` +
    "images both evaluations scored (the earlier one used `--max-test 40`). Written by " +
    `\`npm exec -- node bench/core/compare-previous.ts --ref ${values.ref}\`.`,
  "",
];
for (const name of values.tasks.split(",")) {
  const task = defaultTaskRegistry.get(name.trim());
  const file = join(values.dir, `${task.name}.images.jsonl`);
  const before = records(
    execFileSync("git", ["show", `${values.ref}:${file}`], {
      cwd: repo,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
    values.method,
  );
  const now = records(await readFile(join(repo, file), "utf8"), values.method);
  const ids = new Set(before.map((r) => r.id));
  const paired = now.filter((r) => ids.has(r.id));
  for (const metric of task.metrics[0] === "mIoU" ? ["mIoU"] : [task.metrics[0], "mIoU"]) {
    const d = pairedDifference(paired, before, metric);
    lines.push(
      `- ${task.name} (${paired.length} images): ${verdict("AlignSAM now", "the previous policy", d)}`,
    );
  }
}
await writeFile(join(repo, values.dir, "previous-policies.md"), `${lines.join("\n")}\n`);
process.stderr.write(`wrote ${values.dir}/previous-policies.md\n`);
