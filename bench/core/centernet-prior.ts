/**
 * How well each reading of CenterNet (centre heatmap, painted boxes, both) localises the named
 * object on coco_mval: mean per-image AUROC of M_c against the ground-truth mask at a 64 x 64 grid,
 * the share of M_c's mass inside the mask, and the soft IoU. Picks the prior's default mode.
 *
 * Run: npm exec -- node bench/core/centernet-prior.ts [--every 2]
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadDataset, loadPair, resolveDatasetsRoot } from "../../packages/core/src/datasets/index.ts";
import { createCenterNetPrior } from "../../packages/core/src/models/centernet/prior.ts";
import { PRIOR_MODES } from "../../packages/core/src/models/centernet/similarity.ts";

const { values } = parseArgs({ options: { every: { type: "string", default: "2" } } });
const root = resolveDatasetsRoot();
const classes = JSON.parse(await readFile(join(root, "coco_mval", "classes.json"), "utf8")) as Record<
  string,
  string[]
>;
const pairs = (await loadDataset("coco_mval", { root })).pairs.filter(
  (_, i) => i % Number(values.every) === 0,
);
const priors = PRIOR_MODES.map((mode) => createCenterNetPrior({ mode }));
const G = 64;
const sums = PRIOR_MODES.map(() => ({ auc: 0, inside: 0, softIou: 0 }));

/** Mann-Whitney AUROC of `score` separating truth 1 from 0 (ties get mid ranks). */
function auroc(score: Float32Array, truth: Uint8Array): number {
  const idx = [...score.keys()].sort((a, b) => score[a] - score[b]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && score[idx[j]] === score[idx[i]]) j++;
    for (let k = i; k < j; k++) {
      if (truth[idx[k]]) {
        rankSum += (i + j + 1) / 2;
        pos++;
      }
    }
    i = j;
  }
  const neg = idx.length - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : 0.5;
}

for (const pair of pairs) {
  const { image, mask } = await loadPair(pair, { resizeMask: true });
  const truth = new Uint8Array(G * G);
  for (let y = 0; y < G; y++) {
    for (let x = 0; x < G; x++) {
      const my = Math.floor(((y + 0.5) * mask.height) / G);
      truth[y * G + x] = mask.data[my * mask.width + Math.floor(((x + 0.5) * mask.width) / G)];
    }
  }
  for (let m = 0; m < PRIOR_MODES.length; m++) {
    const map = await priors[m].similarity(image, classes[pair.id], { width: G, height: G });
    let inside = 0;
    let total = 0;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < G * G; i++) {
      total += map.data[i];
      if (truth[i]) inside += map.data[i];
      lo += Math.min(map.data[i], truth[i]);
      hi += Math.max(map.data[i], truth[i]);
    }
    sums[m].auc += auroc(map.data, truth);
    sums[m].inside += total > 0 ? inside / total : 0;
    sums[m].softIou += lo / hi;
  }
}
console.log(`coco_mval, ${pairs.length} images, M_c at ${G}x${G}`);
console.log("| mode | AUROC | mass inside | soft IoU |\n| --- | --- | --- | --- |");
PRIOR_MODES.forEach((mode, m) => {
  const f = (v: number) => (v / pairs.length).toFixed(3);
  console.log(`| ${mode} | ${f(sums[m].auc)} | ${f(sums[m].inside)} | ${f(sums[m].softIou)} |`);
});
