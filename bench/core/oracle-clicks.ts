/**
 * Oracle-click benchmark of the classic backend on every task folder of the datasets root: mean IoU
 * after 1, 3, 5 and 10 standard-protocol clicks and the time per encode and per decode; writes
 * docs/benchmarks/backends.md.
 *
 * Run: npm exec -- node bench/core/oracle-clicks.ts [--limit 30] [--tasks blur,glass]
 *      [--clicks 10] [--candidate best|oracle|0|1|2] [--mask-input] [--set beta=6] [--out FILE] [--dry]
 *      [--encoders handcrafted,learned,combined]  (the first encoder's run is the main table; all are compared)
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  listDatasetTasks,
  loadDataset,
  loadPair,
  resolveDatasetsRoot,
} from "../../packages/core/src/datasets/index.ts";
import { findRepositoryRoot } from "../../packages/core/src/datasets/root.ts";
import { AlignSamError } from "../../packages/core/src/errors.ts";
import { nextOracleClick } from "../../packages/core/src/evaluation/oracle-click.ts";
import { type BinaryMask, createBinaryMask } from "../../packages/core/src/mask/types.ts";
import { iou } from "../../packages/core/src/metrics/iou.ts";
import { openClassicSegmenter } from "../../packages/core/src/models/centernet/classic-encoder.ts";
import { type ClassicEncoder, resolveClassicOptions } from "../../packages/core/src/models/classic/index.ts";
import type { DecodeResult, Point, PointLabel } from "../../packages/core/src/models/ports.ts";
import { type EncoderRun, renderEncoderComparison } from "./encoder-table.ts";
import { type BenchmarkReport, renderReport, type TaskResult } from "./oracle-clicks-report.ts";
import { mean, median } from "./stats.ts";

const REPORTED_CLICKS = [1, 3, 5, 10];
const STEADY_REPEATS = 5;

const CANDIDATE_CHOICES = ["best", "oracle", "0", "1", "2"];

/**
 * Which candidate the protocol keeps: "best" = highest predicted score (what the pipeline does),
 * "oracle" = highest true IoU (an upper bound, for diagnosis), or a fixed index.
 */
function pick(result: DecodeResult, candidate: string, truth: BinaryMask): number {
  if (candidate !== "best" && candidate !== "oracle")
    return Math.min(Number(candidate), result.masks.length - 1);
  const value = (k: number) => (candidate === "best" ? result.scores[k] : iou(result.masks[k], truth));
  let best = 0;
  let bestValue = value(0);
  for (let k = 1; k < result.masks.length; k++) {
    const v = value(k);
    if (v > bestValue) {
      best = k;
      bestValue = v;
    }
  }
  return best;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** `--set key=value` pairs: numbers, or true/false; the options schema validates them. */
function parseSettings(pairs: readonly string[]): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const pair of pairs) {
    const [key, value] = pair.split("=");
    const parsed = value === "true" ? true : value === "false" ? false : Number(value);
    if (!key || (typeof parsed === "number" && !Number.isFinite(parsed))) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `--set expects key=number or key=true|false, got "${pair}"`,
      );
    }
    out[key] = parsed;
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: "string" },
      tasks: { type: "string" },
      limit: { type: "string", default: "30" },
      clicks: { type: "string", default: "10" },
      candidate: { type: "string", default: "best" },
      "mask-input": { type: "boolean", default: false },
      set: { type: "string", multiple: true, default: [] },
      out: { type: "string" },
      dry: { type: "boolean", default: false },
      encoders: { type: "string", default: "handcrafted" },
    },
  });
  const root = resolve(values.root ?? resolveDatasetsRoot());
  const limit = Number(values.limit);
  const maxClicks = Number(values.clicks);
  if (!(limit > 0) || !(maxClicks > 0)) {
    throw new AlignSamError("INVALID_ARGUMENT", "--limit and --clicks must be positive integers");
  }
  if (!CANDIDATE_CHOICES.includes(values.candidate)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `--candidate is "${values.candidate}"; expected one of: ${CANDIDATE_CHOICES.join(", ")}`,
    );
  }
  const useMaskInput = values["mask-input"];
  const settings = parseSettings(values.set ?? []);
  const options = resolveClassicOptions(settings);
  const encoders = values.encoders.split(",") as ClassicEncoder[];
  for (const e of encoders) resolveClassicOptions({ encoder: e });
  const tasks = values.tasks ? values.tasks.split(",") : await listDatasetTasks(root);
  const clickCounts = REPORTED_CLICKS.filter((k) => k <= maxClicks);
  if (!clickCounts.includes(maxClicks)) clickCounts.push(maxClicks);
  const started = performance.now();
  const runs: EncoderRun[] = [];
  for (const encoder of encoders) {
    const segmenter = await openClassicSegmenter({ ...settings, encoder });
    const results: TaskResult[] = [];
    const encoderStarted = performance.now();
    for (const task of tasks) {
      const dataset = await loadDataset(task, { root });
      const pairs = dataset.pairs.slice(0, limit);
      const sums = new Map<number, number>(clickCounts.map((k) => [k, 0]));
      const encodeMs: number[] = [];
      const decodeMs: number[] = [];
      const encodeCpu: number[] = [];
      const decodeCpu: number[] = [];
      const steadyMs: number[] = [];
      for (const pair of pairs) {
        const { image, mask } = await loadPair(pair, { resizeMask: true });
        let t0 = performance.now();
        let c0 = process.cpuUsage();
        const embedding = await segmenter.encode(image);
        encodeMs.push(performance.now() - t0);
        encodeCpu.push(cpuMs(c0));
        const points: Point[] = [];
        const labels: PointLabel[] = [];
        let prediction: BinaryMask = createBinaryMask(image.width, image.height);
        let maskInput: Float32Array | undefined;
        let score = iou(prediction, mask);
        for (let k = 1; k <= maxClicks; k++) {
          const click = nextOracleClick(prediction, mask);
          if (click) {
            points.push(click.point);
            labels.push(click.label);
            t0 = performance.now();
            c0 = process.cpuUsage();
            const result = await segmenter.decode(embedding, { points, labels, maskInput });
            decodeMs.push(performance.now() - t0);
            decodeCpu.push(cpuMs(c0));
            const chosen = pick(result, values.candidate, mask);
            prediction = result.masks[chosen];
            maskInput = useMaskInput ? result.lowResLogits[chosen] : undefined;
            score = iou(prediction, mask);
          }
          if (sums.has(k)) sums.set(k, sums.get(k)! + score);
        }
        // Steady state, as in a training loop: the final prompt decoded again on a warm embedding,
        // away from the protocol's own allocations (masks, distance transforms) and their GC.
        const runs: number[] = [];
        for (let r = 0; r < STEADY_REPEATS; r++) {
          t0 = performance.now();
          await segmenter.decode(embedding, { points, labels, maskInput });
          runs.push(performance.now() - t0);
        }
        steadyMs.push(median(runs));
      }
      const iouAt: Record<number, number> = {};
      for (const k of clickCounts) iouAt[k] = sums.get(k)! / Math.max(1, pairs.length);
      const row: TaskResult = {
        task,
        images: pairs.length,
        iouAt,
        encodeMs: { mean: mean(encodeMs), median: median(encodeMs), cpuMean: mean(encodeCpu) },
        decodeMs: { mean: mean(decodeMs), median: median(decodeMs), cpuMean: mean(decodeCpu) },
        steadyDecodeMs: median(steadyMs),
      };
      results.push(row);
      console.error(
        `${encoder} ${task}: ${clickCounts.map((k) => `IoU@${k} ${iouAt[k].toFixed(3)}`).join("  ")}  encode ${row.encodeMs.mean.toFixed(0)} ms (cpu ${row.encodeMs.cpuMean.toFixed(0)})  decode ${row.decodeMs.mean.toFixed(2)} ms (cpu ${row.decodeMs.cpuMean.toFixed(2)}, steady ${row.steadyDecodeMs.toFixed(2)})`,
      );
    }
    runs.push({
      encoder,
      info: segmenter.info,
      results,
      seconds: (performance.now() - encoderStarted) / 1000,
    });
  }
  const primary = runs[0];
  const argv = process.argv.slice(2).join(" ");
  const report: BenchmarkReport = {
    backend: primary.info.backend,
    modelId: primary.info.modelId,
    command: `npm exec -- node bench/core/oracle-clicks.ts${argv ? ` ${argv}` : ""}`,
    date: new Date().toISOString(),
    datasetsRoot: root,
    limit,
    clickCounts,
    candidate: values.candidate,
    maskInput: useMaskInput,
    options: { ...options, encoder: primary.encoder },
    results: primary.results,
    totalSeconds: (performance.now() - started) / 1000,
  };
  const markdown = renderReport(report) + (runs.length > 1 ? renderEncoderComparison(runs, clickCounts) : "");
  if (values.dry) {
    process.stdout.write(markdown);
    return;
  }
  const out = resolve(values.out ?? `${findRepositoryRoot()}/docs/benchmarks/backends.md`);
  await writeFile(out, markdown);
  console.error(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof AlignSamError ? `${e.code}: ${e.message}` : e);
  process.exitCode = 1;
});
