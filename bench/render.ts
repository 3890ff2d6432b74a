/**
 * Renders bench/run.ts's measurements as docs/benchmarks/performance.md: the machine, then one
 * section per measurement with its table and the command that produced it. Medians with min and
 * p90 over repeated runs; nothing is computed here that was not measured in the same run.
 */

import type { ClassicComparison } from "./core/classic-compare.ts";
import type { MicroRow } from "./core/micro-compare.ts";
import type { ImageStages } from "./core/per-image.ts";
import { median, type Spread, spread } from "./core/stats.ts";
import type { TrainBreakdown } from "./core/train-breakdown.ts";
import type { EventLoopResult } from "./event-loop.ts";
import type { LoadBenchResult } from "./load-render.ts";
import type { PaperTrainingRun } from "./paper-training.ts";
import type { ThroughputResult } from "./throughput.ts";

export type Section =
  | { kind: "skipped"; title: string; reason: string }
  | {
      kind: "classic";
      command: string;
      images: string[];
      result: ClassicComparison;
      /** Memory of one embedding: its tensor, and with the decoder state (embeddingBytes). */
      embedding: { image: string; tensorMiB: number; totalMiB: number };
    }
  | { kind: "stages"; title: string; command: string; backend: string; rows: ImageStages[] }
  | { kind: "event-loop"; command: string; results: EventLoopResult[] }
  | {
      kind: "training";
      command: string;
      scriptCommand: string;
      runs: (TrainBreakdown & { tfBackend: string; baseline: boolean })[];
      /** A full training run at the paper's settings, measured end to end (bench/paper-training.ts). */
      paperRun?: PaperTrainingRun;
    }
  | { kind: "throughput"; command: string; results: ThroughputResult[] }
  | { kind: "load"; command: string; result: unknown }
  | { kind: "micro"; command: string; rows: MicroRow[] };

/** The numbers issue-level targets are stated in, gathered from the sections of one run. */
export interface Headline {
  classic?: { wall: number; cpu: number };
  samGraphs?: {
    overhead: number;
    classicOverhead: number;
    encodeMs: number;
    decodeMs: number;
    loadedMiB: number;
  };
  admission?: { records: number; p50Ms: number; p99Ms: number }[];
  enqueueRatio?: number;
  workerPeakMiB?: number;
  paperTraining?: PaperTrainingRun;
}

/** One table of the targets, each row naming the section or page that measured it. */
function headlineRows(h: Headline): string[] {
  const rows: string[] = [];
  const row = (what: string, result: string, target: string, where: string) =>
    rows.push(`| ${what} | ${result} | ${target} | ${where} |`);
  if (h.classic) {
    row(
      "classic backend: wall / model floor (CPU time)",
      `${f(h.classic.wall, 2)} (${f(h.classic.cpu, 2)})`,
      "<= 1.15",
      "*Per-image breakdown, classic backend*",
    );
  }
  if (h.samGraphs) {
    const g = h.samGraphs;
    row(
      "real SAM graphs (MobileSAM encoder + SAM decoder): wall / model floor",
      `${f(g.overhead, 2)} (classic in the same run: ${f(g.classicOverhead, 2)})`,
      "<= 1.10",
      "[sam-graphs.md](sam-graphs.md)",
    );
    row(
      "real SAM graphs: one encode, one decode (ms, medians)",
      `${f(g.encodeMs, 0)}, ${f(g.decodeMs, 0)}`,
      "",
      "[sam-graphs.md](sam-graphs.md)",
    );
    row(
      "real SAM graphs: RSS with both sessions loaded (MiB)",
      f(g.loadedMiB, 0),
      "",
      "[sam-graphs.md](sam-graphs.md)",
    );
  }
  if (h.workerPeakMiB !== undefined) {
    row(
      "worker peak RSS, classic, local stack (MiB)",
      f(h.workerPeakMiB, 0),
      "",
      "*Worker throughput and memory*",
    );
  }
  if (h.admission?.length) {
    row(
      "quota admission p50 / p99 (ms) at " +
        h.admission.map((a) => a.records.toLocaleString("en")).join(" / ") +
        " usage records",
      h.admission.map((a) => `${f(a.p50Ms, 1)} / ${f(a.p99Ms, 1)}`).join("; "),
      "flat",
      "[load.md](load.md)",
    );
  }
  if (h.enqueueRatio !== undefined) {
    row(
      "API enqueue requests/s over the raw SDK floor",
      f(h.enqueueRatio, 2),
      ">= 0.7",
      "[load.md](load.md)",
    );
  }
  if (h.paperTraining) {
    const p = h.paperTraining;
    row(
      `training at the paper's settings (E = ${p.epochs}, K = ${p.ppoEpochs}, T = ${p.steps}, ${p.images} images), wall`,
      `${f(p.wallSeconds / 60, 1)} min (recorded ${p.date.slice(0, 10)})`,
      "< 5 min",
      "*Training time*, per phase",
    );
  }
  if (rows.length === 0) return [];
  return [
    "## Targets at a glance",
    "",
    "From this run's sections and the pages it rewrote; a target this table shows missed is missed.",
    "",
    "| measure | result | target | measured in |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ];
}

export interface PerformanceReport {
  readonly command: string;
  readonly quick: boolean;
  readonly date: string;
  readonly machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    loadAtStart: number[];
    loadAtEnd: number[];
    node: string;
    tfBackend: string;
  };
  readonly totalSeconds: number;
  readonly headline?: Headline;
  readonly sections: readonly Section[];
}

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const cell = (s: Spread, digits = 1) => `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.p90, digits)})`;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function classic(s: Extract<Section, { kind: "classic" }>): string[] {
  const r = s.result;
  const eb = spread(r.before.encodeMs);
  const ea = spread(r.after.encodeMs);
  const db = spread(r.before.decodeMs);
  const da = spread(r.after.decodeMs);
  const ebc = spread(r.before.encodeCpuMs);
  const eac = spread(r.after.encodeCpuMs);
  const dbc = spread(r.before.decodeCpuMs);
  const dac = spread(r.after.decodeCpuMs);
  return [
    "## Classic backend: before and after",
    "",
    `Same ${s.images.length} images (${s.images.join(", ")}), ${r.decodes} prompts of 1 to 16 clicks, both`,
    "paths interleaved in one process. *Before* is the baseline copy of the classic encoder/decoder",
    "(commit 6c2edd3, read from git by `bench/core/baseline.ts`); *after* is `src/models/classic`. A decode",
    "is timed as the environment uses it: decode, then read the best candidate's low-res logits.",
    "",
    "| call | clock | before ms median (min–p90) | after ms median (min–p90) | speed-up (medians) |",
    "| --- | --- | ---: | ---: | ---: |",
    `| encode | wall | ${cell(eb)} | ${cell(ea)} | ${f(eb.median / ea.median, 2)}x |`,
    `| encode | CPU | ${cell(ebc)} | ${cell(eac)} | ${f(ebc.median / eac.median, 2)}x |`,
    `| decode | wall | ${cell(db, 2)} | ${cell(da, 2)} | ${f(db.median / da.median, 2)}x |`,
    `| decode | CPU | ${cell(dbc, 2)} | ${cell(dac, 2)} | ${f(dbc.median / dac.median, 2)}x |`,
    "",
    `Outputs compared: largest |difference| in embeddings ${r.maxEmbeddingDiff}, in scores ${r.maxScoreDiff},`,
    `in low-res logits ${r.maxLogitDiff}; best-candidate mask pixels that differ: ${r.maskPixelsDiffering}.`,
    "",
    `Memory per image: one classic embedding of a ${s.embedding.image} image holds ${f(s.embedding.tensorMiB, 2)} MiB of`,
    `tensor and ${f(s.embedding.totalMiB, 2)} MiB with its decoder state (superpixel labels, graph, pixel blend),`,
    "what a worker keeps per image in flight (and what the embedding cache now counts).",
    "",
    `Command: \`${s.command}\``,
    "",
  ];
}

function stages(s: Extract<Section, { kind: "stages" }>): string[] {
  const rows = s.rows;
  const col = (pick: (r: ImageStages) => number) => spread(rows.map(pick));
  const decodes = rows.flatMap((r) => r.decodes);
  const t1 = median(rows.map((r) => r.decodes.length));
  const lines: [string, Spread][] = [
    ["image decode (sharp)", col((r) => r.imageDecode)],
    ["encode", col((r) => r.encode)],
    ["one decode", spread(decodes)],
    [`all decodes (T+1 = ${t1})`, col((r) => sum(r.decodes))],
    ["agent forward passes", col((r) => r.agent)],
    ["SRM forward passes", col((r) => r.srm)],
    ["rest of the pipeline (state, frame, probability map)", col((r) => r.pipelineOther)],
    ["of which state building (s_t, agent observation)", col((r) => r.state)],
    ["full-size mask (painted on first read)", col((r) => r.fullMask)],
    ["result encoding, concurrently (as the worker runs it)", col((r) => r.outputs)],
    ["of which mask PNG", col((r) => r.maskPng)],
    ["of which probability PNG", col((r) => r.probabilityPng)],
    ["of which RLE (+ JSON)", col((r) => r.rle)],
    ["**wall, whole image**", col((r) => r.wall)],
    ["CPU, whole image (all threads)", col((r) => r.cpu)],
    ["**model floor: encode + (T+1) decodes**", col((r) => r.model)],
  ];
  const ratio = col((r) => r.overheadRatio);
  const cpuRatio = col((r) => r.cpuOverheadRatio);
  // ONNX Runtime's threads spin while they wait, which would count as model CPU: classic rows only.
  const cpuLine = s.backend.startsWith("classic")
    ? [
        "",
        `**The same ratio in CPU time: ${cell(cpuRatio, 2)}**: this process's CPU over the whole image`,
        "(all threads) over its CPU inside the encode and decode calls",
        `(${f(median(rows.map((r) => r.cpu)), 0)} vs ${f(median(rows.map((r) => r.modelCpu)), 0)} ms, medians): other processes' load does not enter it.`,
      ]
    : [];
  const wall = median(rows.map((r) => r.wall));
  return [
    `## ${s.title}`,
    "",
    `Backend: ${s.backend}. ${rows.length} runs (${new Set(rows.map((r) => r.id)).size} held-out images, first of`,
    "each task's test split; a warm-up image first, not counted). Stage times in ms: median (min–p90).",
    "",
    "Outputs computed on first read (the classic backend's low-res logits, full-size masks) are",
    "counted in the stage that first reads them, not in the decode.",
    "",
    "| stage | ms | share of wall (median) |",
    "| --- | ---: | ---: |",
    ...lines.map(([name, sp]) => `| ${name} | ${cell(sp, 2)} | ${f((100 * sp.median) / wall, 1)}% |`),
    "",
    `**Wall time / model floor: ${cell(ratio, 2)}** (1.00 would be no overhead at all).`,
    ...cpuLine,
    "",
    `Command: \`${s.command}\``,
    "",
  ];
}

const MODE_LABEL: Record<string, string> = {
  "in-process": "before: all on the main thread",
  turns: "a loop turn before every encode/decode",
  "turns+encode-thread": "turns + encoder on a worker thread (the worker's default)",
};

function eventLoop(s: Extract<Section, { kind: "event-loop" }>): string[] {
  return [
    "## Worker event loop while segmenting",
    "",
    "Largest gap between the ticks of a 5 ms timer while the worker's engine segments one image",
    "(`bench/event-loop.ts`): how long the queue heartbeat, or anything else on the loop, waits.",
    "",
    "| engine | longest stall ms median (min–p90) | segment ms median (min–p90) |",
    "| --- | ---: | ---: |",
    ...s.results.map(
      (r) =>
        `| ${MODE_LABEL[r.mode] ?? r.mode} | ${cell(spread(r.maxGapMs))} | ${cell(spread(r.segmentMs))} |`,
    ),
    "",
    `Command: \`${s.command}\``,
    "",
  ];
}

function training(s: Extract<Section, { kind: "training" }>): string[] {
  const keys = ["decodeMs", "agentForwardMs", "stateMs", "ppoMs"] as const;
  const first = s.runs[0];
  return [
    "## Training time",
    "",
    `Task ${first?.task}, ${first?.images} images x ${first?.epochs} epoch(s) = ${first?.episodes} episodes (${first?.decodes} decodes),`,
    "the paper's T = 15, K = 20, lr 1e-4 and the project's defaults otherwise (PPO every 5 episodes,",
    `SRM per episode). Per-episode ms of each part, then the full run (${first?.fullImages} images x ${first?.fullEpochs}`,
    "epochs) **extrapolated** from these per-image and per-episode costs, not measured end to end.",
    "",
    `| tfjs | classic decode | encode ms/image | ${keys.map((k) => k.replace("Ms", "")).join(" | ")} | wall s (short run) | CPU s (short run) | full run, extrapolated |`,
    `| --- | --- | ---: | ${keys.map(() => "---:").join(" | ")} | ---: | ---: | ---: |`,
    ...s.runs.map(
      (r) =>
        `| ${r.tfBackend} | ${r.baseline ? "before" : "after"} | ${f(r.timings.encodeMs / r.images, 0)} | ${keys
          .map((k) => f(r.perEpisodeMs[k], 0))
          .join(
            " | ",
          )} | ${f(r.timings.totalMs / 1000, 1)} | ${f(r.cpuMs / 1000, 1)} | ${f(r.fullRunSeconds / 60, 0)} min |`,
    ),
    "",
    `Command: \`${s.command}\` (each row: \`${s.scriptCommand}\` in its own process).`,
    "",
    ...paperRun(s.paperRun),
  ];
}

/** The end-to-end run at the paper's settings, per phase (too long for every bench run: recorded). */
function paperRun(r: PaperTrainingRun | undefined): string[] {
  if (!r) return ["No end-to-end run at the paper's settings recorded (`bench/paper-training.ts`).", ""];
  const t = r.timingsMs;
  const phases: [string, number][] = [
    ["encode (once per image)", t.encodeMs ?? 0],
    ["preparation (content region, features)", t.prepareMs ?? 0],
    ["SRM fit (cross-fitted ensemble)", t.srmFitMs ?? 0],
    ["rollouts: decodes", t.decodeMs ?? 0],
    ["rollouts: agent forward passes", t.agentForwardMs ?? 0],
    ["rollouts: state building", t.stateMs ?? 0],
    ["PPO updates", t.ppoMs ?? 0],
    ["learning curves", t.curveMs ?? 0],
  ];
  const total = t.totalMs ?? r.wallSeconds * 1000;
  const covered = phases.reduce((a, [, v]) => a + v, 0);
  phases.push(["other (bookkeeping, held-out score)", Math.max(0, total - covered)]);
  return [
    `### End to end at the paper's settings (E = ${r.epochs}, K = ${r.ppoEpochs}, T = ${r.steps}, ${r.images} images, ${r.episodesPerUpdate} episode(s) per update)`,
    "",
    `Measured ${r.date} on this machine (load average ${r.loadAverage.map((v) => f(v, 2)).join(" / ")} at the end), task ${r.task}, encoder ${r.encoder}: **${f(r.wallSeconds / 60, 1)} min** wall`,
    `(aim: under 5 min). Command: \`${r.command}\`; recorded with \`${r.recordCommand}\`.`,
    ...(r.note ? ["", r.note] : []),
    "",
    "| phase | s | share |",
    "| --- | ---: | ---: |",
    ...phases.map(([name, ms]) => `| ${name} | ${f(ms / 1000, 1)} | ${f((100 * ms) / total, 1)}% |`),
    `| **total** | ${f(total / 1000, 1)} | 100% |`,
    "",
  ];
}

function throughput(s: Extract<Section, { kind: "throughput" }>): string[] {
  const one = s.results.find((r) => r.workers === 1 && r.concurrency === 1);
  const two = s.results.find((r) => r.workers === 2 && r.concurrency === 1);
  const scaling = one && two ? two.imagesPerSecond / one.imagesPerSecond : Number.NaN;
  return [
    "## Worker throughput and memory (local stack)",
    "",
    "Segment jobs (saliency, shipped policy) posted to the API at once and polled to completion,",
    "through the fauxqs emulator and N worker processes (`infra/local/stack.ts`) running C jobs each;",
    "one warm-up job per worker first. Memory from `/proc/<pid>/status`: resident set at start, idle",
    "after the run (policy loaded), and the kernel's peak (VmHWM); peak minus idle is about what the",
    "images in flight cost on top of the loaded models.",
    "",
    "| workers x jobs each | jobs | wall s | images/s | worker CPU ms / image | latency ms median (min–p90) | RSS start MiB | RSS idle MiB | peak MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...s.results.map(
      (r) =>
        `| ${r.workers} x ${r.concurrency} | ${r.jobs} | ${f(r.wallSeconds)} | ${f(r.imagesPerSecond, 2)} | ${f(r.workerCpuMsPerImage, 0)} | ${cell(spread(r.latencyMs), 0)} | ${r.memory
          .map((m) => f(m.startMiB, 0))
          .join(
            ", ",
          )} | ${r.memory.map((m) => f(m.idleMiB, 0)).join(", ")} | ${r.memory.map((m) => f(m.peakMiB, 0)).join(", ")} |`,
    ),
    "",
    `Scaling 1 -> 2 worker processes: **${f(scaling, 2)}x** (2.00 would be perfect on 2 idle cores; the`,
    "emulator, the API, this benchmark and the machine's other load share them). One process running",
    "two jobs at once overlaps one job's encode (on the encoder thread) with the other's decodes.",
    "",
    `Command: \`${s.command}\``,
    "",
  ];
}

function microRows(s: Extract<Section, { kind: "micro" }>): string[] {
  return [
    "## Smaller changes: before and after",
    "",
    "Each row measured in this run on the same inputs (`bench/core/micro-compare.ts`): the",
    "output probability map (sigmoid once per low-res cell, `pipeline/frame.ts`; before = the",
    "baseline commit's `pipeline/frame.ts`, read from git), and the ONNX SAM adapter's lazy masks",
    "(before = a decode whose every candidate mask is read, the work the eager adapter did on every",
    "decode; after = a decode as an episode reads it, the best candidate's low-res logits only).",
    "",
    "| change | before ms median (min–p90) | after ms median (min–p90) | speed-up | max |difference| |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...s.rows.map((r) => {
      const b = spread(r.beforeMs);
      const a = spread(r.afterMs);
      return `| ${r.name} | ${cell(b, 2)} | ${cell(a, 2)} | ${f(b.median / a.median, 2)}x | ${Number.isNaN(r.maxDiff) ? "same outputs by construction" : r.maxDiff} |`;
    }),
    "",
    `Command: \`${s.command}\``,
    "",
  ];
}

function load(s: Extract<Section, { kind: "load" }>): string[] {
  const r = s.result as Partial<LoadBenchResult> | string;
  if (typeof r === "string" || !r.api || !r.jobs || !r.settings) {
    const body = typeof r === "string" ? [r] : ["```json", JSON.stringify(r, null, 2), "```"];
    return ["## API load (bench/load.ts)", "", ...body, "", `Command: \`${s.command}\``, ""];
  }
  const { api, jobs, settings } = r;
  return [
    "## API load (bench/load.ts)",
    "",
    `POST /v1/segment with autocannon, ${settings.connections} connections for ${settings.durationSeconds} s, ` +
      `${settings.workers} workers, ${settings.imageSize}x${settings.imageSize} PNG; details in ` +
      "[load.md](load.md) (rewritten by a full run).",
    "",
    "| requests/s | p50 / p90 / p99 ms | non-2xx | jobs accepted | succeeded | usage records | accepted = completed = usage |",
    "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    `| ${api.requestsPerSecond} | ${api.latencyMs.p50} / ${api.latencyMs.p90} / ${api.latencyMs.p99} | ${api.non2xx} | ` +
      `${jobs.statusDocuments} | ${jobs.succeeded} | ${jobs.usageRecords} | ${jobs.acceptedEqualsCompleted ? "yes" : "**no**"} |`,
    "",
    `Command: \`${s.command}\``,
    "",
  ];
}

/** What the performance work changed, and which table measures it (static text). */
const CHANGES = [
  "## What was changed, and where it is measured",
  "",
  "- **Classic decode** (`models/classic`): conjugate gradient on the free nodes only, over a compact",
  "  CSR built once per solve; the three candidates blended in one pass over the pixel-blend table;",
  "  a branch-free soft IoU; low-res logits tabulated on first read (an episode reads only the best",
  "  candidate's). Outputs bit-identical. *Classic backend: before and after*.",
  "- **Classic encode**: SLIC's assignment loop unrolled for its four features with the centre",
  "  hoisted; the vertical box filter walks rows; per-plane maps as plain loops (no megamorphic",
  "  closures, no `Float32Array.from(mapFn)`). Outputs bit-identical. Same table.",
  "- **Output probability map** (`pipeline/frame.ts`): the sigmoid once per low-res cell, not per",
  "  pixel. *Smaller changes*.",
  "- **ONNX SAM adapter**: full-size masks thresholded (or upscaled, for exports without in-graph",
  "  masks) on first read, not for every candidate of every decode. *Smaller changes*.",
  "- **Worker**: the classic encoder runs on a worker thread (`createThreadedClassicSegmenter`, the",
  "  engine's default) and the engine lets the event loop turn before every encode and decode, so",
  "  the queue heartbeat keeps running during a long image. *Worker event loop*; the thread also lets",
  "  one process overlap two jobs (*throughput*, row 1 x 2).",
  "- **Embedding cache**: its byte bound now counts the backend state (the classic state is ~9x its",
  "  tensor), so the cache can no longer hold about ten times its budget. No timing.",
  "- **Segment path, non-model work** (`agent/state.ts`, `pipeline/environment.ts`, `mask/png.ts`):",
  "  the state pooled plane by plane with precomputed spans; M's sigmoids recomputed only for the",
  "  low-res logits a click changed (a per-episode cache); the SRM's mask prompt takes one log per",
  "  frame position, not per low-res cell; pool(y_r) once per episode; the mask PNG reads a lazily",
  "  painted mask's `data` once instead of through its getter per pixel. Masks, probabilities,",
  "  trajectories bit-identical (hashes over 10 images, shipped saliency and blur policies). PNGs at zlib",
  "  level 6 instead of 9: same pixels, files 10-50% larger, encode ~2-3.5 ms instead of 4-24 ms.",
  "  *Per-image breakdown* (its state row and the CPU-time ratio).",
  "- **PPO update** (`agent/ppo.ts`, `agent/policy-net.ts`): the forward pass's input-only terms (free",
  "  cells, masked fill, pooled cues) derived once per update, not in each of the K epochs; weights",
  "  after an update bit-identical. *Training time*.",
  "- **State pooling** (`agent/state.ts`): pool(E' * M) walks a position-major (HWC) copy of the",
  "  normalised embedding, each position's C channels in one contiguous run (2.5x faster per call at",
  "  C = 85, bit-identical: same per-cell summation order); the SRM reads that same array instead of",
  "  its own transposed copy; an inference episode no longer builds the state of its last decode,",
  "  which nothing reads. Masks byte-equal before and after. *Per-image breakdown* (state row).",
  "- **Result encoding** (worker `handlers/segment.ts`): a job's outputs are rendered and stored",
  "  concurrently (sharp encodes on libuv's threads, the S3 puts overlap); the per-image table",
  "  times them the same way (*result encoding, concurrently*).",
  "- **tfjs backend**: unchanged, WebAssembly stays the default here (tfjs-node is not installed);",
  "  *Training time* compares it with the pure-JS cpu backend (see the PPO column).",
  "- **Not changed, on purpose**: batching decodes. An episode's decodes are sequential (each click",
  "  sees the previous mask), and the official SAM decoder export takes one point set per run",
  "  (`point_coords` is [1, N, 2]), so `decodeBatch` stays a loop; only the transformers.js split",
  "  export has a point-batch axis, and nothing in the pipeline has independent prompts to batch.",
  "",
];

/** The whole Markdown page. */
export function renderReport(r: PerformanceReport): string {
  const m = r.machine;
  const out = [
    "# Performance",
    "",
    "Where AlignSAM's time goes, and how close it runs to its floor: one image encoding plus T+1 mask",
    "decodings per image. Everything else (agent and SRM passes, pre/post-processing, result",
    "encoding, S3 and SQS round trips) is overhead. Generated by `bench/run.ts`; do not edit by hand.",
    "",
    `- Date: ${r.date}${r.quick ? " (**--quick** run: small samples, read the numbers as indicative)" : ""}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${f(m.memoryGiB)} GiB; load average ${m.loadAtStart.map((v) => f(v, 2)).join(" / ")} at start, ${m.loadAtEnd.map((v) => f(v, 2)).join(" / ")} at the end (1/5/15 min)`,
    `- Node ${m.node}; TensorFlow.js backend ${m.tfBackend}`,
    `- Whole run: ${f(r.totalSeconds / 60)} min. Command: \`${r.command}\``,
    "",
    "A shared machine's load shows in wall times; compare rows of one table (measured together), not",
    "numbers across runs, and prefer the CPU-time rows where a table has them.",
    "",
    ...headlineRows(r.headline ?? {}),
    ...CHANGES,
  ];
  for (const s of r.sections) {
    if (s.kind === "skipped") out.push(`## ${s.title}`, "", `Skipped: ${s.reason}.`, "");
    else if (s.kind === "classic") out.push(...classic(s));
    else if (s.kind === "stages") out.push(...stages(s));
    else if (s.kind === "event-loop") out.push(...eventLoop(s));
    else if (s.kind === "training") out.push(...training(s));
    else if (s.kind === "throughput") out.push(...throughput(s));
    else if (s.kind === "micro") out.push(...microRows(s));
    else out.push(...load(s));
  }
  return `${out.join("\n")}\n`;
}
