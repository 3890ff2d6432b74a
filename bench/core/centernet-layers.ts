/**
 * Picks the CenterNet node the learned encoder reads: oracle-click IoU (same protocol as
 * oracle-clicks.ts, best-scored candidate, no maskInput) per config "encoder[@node[@learnedWeight]]",
 * on `limit` images spread over each task.
 *
 * Run: npm exec -- node bench/core/centernet-layers.ts coco_mval,shadow,saliency 20 \
 *        handcrafted learned@tower_0/CenternetHead/c3_upsample/add combined@tower_0/CenternetHead/mul
 */
import { loadDataset, loadPair, resolveDatasetsRoot } from "../../packages/core/src/datasets/index.ts";
import { nextOracleClick } from "../../packages/core/src/evaluation/oracle-click.ts";
import { type BinaryMask, createBinaryMask } from "../../packages/core/src/mask/types.ts";
import { iou } from "../../packages/core/src/metrics/iou.ts";
import { openClassicSegmenter } from "../../packages/core/src/models/centernet/classic-encoder.ts";
import type { Point, PointLabel, PromptableSegmenter } from "../../packages/core/src/models/ports.ts";

const [tasksArg, limitArg, ...configs] = process.argv.slice(2);
const tasks = tasksArg.split(",");
const limit = Number(limitArg);
const data = new Map<string, Awaited<ReturnType<typeof loadPair>>[]>();
for (const t of tasks) {
  const ds = await loadDataset(t, { root: resolveDatasetsRoot() });
  const step = Math.max(1, Math.floor(ds.pairs.length / limit));
  data.set(
    t,
    await Promise.all(
      ds.pairs
        .filter((_, i) => i % step === 0)
        .slice(0, limit)
        .map((p) => loadPair(p, { resizeMask: true })),
    ),
  );
}
for (const cfg of configs) {
  const [encoder, node, w] = cfg.split("@");
  const seg: PromptableSegmenter = await openClassicSegmenter({
    encoder: encoder as "learned",
    ...(node ? { featureNode: node } : {}),
    ...(w ? { learnedWeight: Number(w) } : {}),
  });
  const line: string[] = [];
  const t0 = performance.now();
  for (const t of tasks) {
    const at = { 1: 0, 3: 0, 5: 0, 10: 0 } as Record<number, number>;
    const pairs = data.get(t)!;
    for (const { image, mask } of pairs) {
      const emb = await seg.encode(image);
      const points: Point[] = [];
      const labels: PointLabel[] = [];
      let pred: BinaryMask = createBinaryMask(image.width, image.height);
      for (let k = 1; k <= 10; k++) {
        const c = nextOracleClick(pred, mask);
        if (c) {
          points.push(c.point);
          labels.push(c.label);
          const r = await seg.decode(emb, { points, labels });
          let b = 0;
          for (let j = 1; j < r.scores.length; j++) if (r.scores[j] > r.scores[b]) b = j;
          pred = r.masks[b];
        }
        if (k in at) at[k] += iou(pred, mask);
      }
    }
    line.push(`${t}: ${[1, 3, 5, 10].map((k) => (at[k] / pairs.length).toFixed(3)).join("/")}`);
  }
  console.log(
    cfg,
    seg.info.embeddingShape.join("x"),
    line.join("  "),
    `${((performance.now() - t0) / 1000).toFixed(0)}s`,
  );
}
