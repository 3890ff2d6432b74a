/**
 * Decodes every pair of every task (or the tasks named) and reports what a listing cannot see: pairs
 * that fail to decode, size mismatches, masks with no foreground or no background, and the
 * foreground-fraction range. Slow (reads every file): a check for a fresh machine, not a test.
 * `npm exec -- node packages/core/src/datasets/check-datasets.ts [task ...]`
 */
import { isAlignSamError } from "../errors.ts";
import { listDatasetTasks, loadDataset } from "./loader.ts";
import { loadPair } from "./pair.ts";
import { resolveDatasetsRoot } from "./root.ts";

const root = resolveDatasetsRoot();
const tasks = process.argv.length > 2 ? process.argv.slice(2) : await listDatasetTasks(root);
let failures = 0;
console.log(`datasets root: ${root}`);
for (const task of tasks) {
  const started = performance.now();
  const dataset = await loadDataset(task, { root });
  const errors: string[] = [];
  let emptyFg = 0;
  let fullFg = 0;
  let minFg = 1;
  let maxFg = 0;
  let pixels = 0;
  for (const pair of dataset.pairs) {
    try {
      const { mask } = await loadPair(pair);
      const fg = mask.data.reduce((s, v) => s + v, 0) / mask.data.length;
      pixels += mask.data.length;
      if (fg === 0) emptyFg++;
      if (fg === 1) fullFg++;
      minFg = Math.min(minFg, fg);
      maxFg = Math.max(maxFg, fg);
    } catch (e) {
      if (!isAlignSamError(e)) throw e;
      errors.push(`${e.code}: ${e.message}`);
    }
  }
  failures += errors.length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${task}: ${dataset.pairs.length} pairs, ${errors.length} failed, ${emptyFg} all-background, ${fullFg} all-foreground, ` +
      `foreground fraction ${minFg.toFixed(4)}..${maxFg.toFixed(4)}, mean ${(pixels / Math.max(dataset.pairs.length, 1) / 1e6).toFixed(3)} MP, ${seconds} s`,
  );
  for (const line of [...dataset.problems, ...errors]) console.log(`  ${line}`);
}
if (failures > 0) process.exitCode = 1;
