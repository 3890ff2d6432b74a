/**
 * Encode/decode timing of the classic backend on a synthetic 640 x 480 scene: needs no datasets, so
 * it runs on any machine (e.g. an idle one, where the oracle-click benchmark's timings on a shared
 * box would be inflated). Prints JSON.
 *
 * Run: npm exec -- node bench/core/decode-timing.ts [--encodes 5] [--decodes 50]
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createClassicSegmenter } from "../../packages/core/src/models/classic/index.ts";
import { discsOnTexture } from "../../packages/core/src/models/classic/test-images.ts";
import type { Point, PointLabel } from "../../packages/core/src/models/ports.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: { encodes: { type: "string", default: "5" }, decodes: { type: "string", default: "50" } },
});
const encodes = Number(values.encodes);
const decodes = Number(values.decodes);
const W = 640;
const H = 480;
const { image } = discsOnTexture(W, H, [
  { cx: 200, cy: 240, r: 90 },
  { cx: 470, cy: 200, r: 70 },
]);
const segmenter = createClassicSegmenter();
const encodeMs: number[] = [];
let embedding = await segmenter.encode(image);
for (let i = 0; i < encodes; i++) {
  const t0 = performance.now();
  embedding = await segmenter.encode(image);
  encodeMs.push(performance.now() - t0);
}
// Ten clicks spread over the image, alternating labels, as late in an episode.
const points: Point[] = [];
const labels: PointLabel[] = [];
for (let k = 0; k < 10; k++) {
  points.push({ x: ((k * 37) % 600) + 20, y: ((k * 53) % 440) + 20 });
  labels.push(k % 2 === 0 ? 1 : 0);
}
const byClicks: Record<number, number> = {};
for (const n of [1, 10]) {
  const prompt = { points: points.slice(0, n), labels: labels.slice(0, n) };
  for (let i = 0; i < 5; i++) await segmenter.decode(embedding, prompt);
  const ms: number[] = [];
  for (let i = 0; i < decodes; i++) {
    const t0 = performance.now();
    await segmenter.decode(embedding, prompt);
    ms.push(performance.now() - t0);
  }
  byClicks[n] = median(ms);
}
console.log(
  JSON.stringify({
    image: `${W}x${H}`,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    load1: loadavg()[0],
    node: process.version,
    encodeMedianMs: median(encodeMs),
    decodeMedianMs: byClicks,
  }),
);
