/**
 * `npm run bench`: where AlignSAM's time goes and how close it runs to the floor (one encode plus
 * T+1 decodes per image), written to docs/benchmarks/performance.md. Every table carries the
 * command that produced it; progress goes to stderr.
 *
 *   npm exec -- node bench/run.ts [--quick] [--out FILE]
 *
 * The report goes to docs/benchmarks/performance.md, or for --quick to a temporary file (printed):
 * a smoke run never replaces the committed pages.
 *     [--only classic,per-image,onnx,sam-graphs,event-loop,training,throughput,memory,load,admission]
 *
 * Sections: the classic backend before/after the optimisations (same images, one run, outputs
 * compared), the per-image stage breakdown on real images (classic and a realistic-size ONNX SAM),
 * the worker's event-loop stalls, training time (per tfjs backend, before/after), worker throughput
 * and memory through the local stack with 1 and 2 workers, peak memory per job in flight
 * (bench/worker-memory.ts, its own page docs/benchmarks/memory.md), and the API load benchmark when
 * bench/load.ts exists.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type DatasetPair,
  loadDataset,
  loadPair,
  resolveDatasetsRoot,
  splitTrainTest,
} from "../packages/core/src/datasets/index.ts";
import { openPolicyModels } from "../packages/core/src/evaluation/policy-source.ts";
import { decodeImage } from "../packages/core/src/image/decode.ts";
import type { RgbImage } from "../packages/core/src/image/types.ts";
import { createClassicSegmenter } from "../packages/core/src/models/classic/index.ts";
import { embeddingBytes } from "../packages/core/src/models/embedding-cache.ts";
import { createOnnxSamSegmenter } from "../packages/core/src/models/onnx-sam/index.ts";
import type { PromptableSegmenter } from "../packages/core/src/models/ports.ts";
import { trainPolicy } from "../packages/core/src/pipeline/train.ts";
import { PolicyCardSchema } from "../packages/core/src/policy/card.ts";
import type { Policy } from "../packages/core/src/policy/policy.ts";
import { loadPolicy } from "../packages/core/src/policy/store.ts";
import { defaultTaskRegistry } from "../packages/core/src/tasks/registry.ts";
import { writeSamFixture } from "../packages/core/src/testing/sam-fixtures.ts";
import { writeRealisticSam } from "../packages/core/src/testing/sam-realistic.ts";
import { initTf } from "../packages/core/src/tf/backend.ts";
import { compareClassic } from "./core/classic-compare.ts";
import { compareLazyMasks, compareProbabilityMap, type MicroRow } from "./core/micro-compare.ts";
import { type ImageStages, timeImage } from "./core/per-image.ts";
import { median } from "./core/stats.ts";
import { EVENT_LOOP_MODES, measureEventLoop } from "./event-loop.ts";
import { readPaperTrainingRun } from "./paper-training.ts";
import { type Headline, renderReport, type Section } from "./render.ts";
import { runThroughput, type UploadImage } from "./throughput.ts";
import { runWorkerMemoryBench } from "./worker-memory.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const SECTIONS = [
  "classic",
  "per-image",
  "onnx",
  "sam-graphs",
  "event-loop",
  "training",
  "throughput",
  "memory",
  "load",
  "admission",
] as const;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    // A --quick run defaults to a temporary file: it must not replace the committed report.
    out: { type: "string" },
    only: { type: "string" },
  },
});
const quick = args.quick;
const out =
  args.out ??
  (quick ? join(tmpdir(), "alignsam-performance.quick.md") : join(ROOT, "docs/benchmarks/performance.md"));
const only = new Set(args.only ? args.only.split(",") : SECTIONS);
for (const s of only) {
  if (!(SECTIONS as readonly string[]).includes(s)) {
    throw new Error(`unknown section "${s}"; expected some of: ${SECTIONS.join(", ")}`);
  }
}
const command = `npm exec -- node bench/run.ts${quick ? " --quick" : ""}${args.only ? ` --only ${args.only}` : ""}`;
const progress = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Run sizes: --quick for a smoke run (a few minutes), the default for the report. */
const SIZE = quick
  ? {
      imagesPerTask: 2,
      compareImages: 3,
      compareRepeats: 1,
      repeats: 1,
      trainImages: 5,
      trainEpochs: 1,
      jobs: 6,
      loopImages: 2,
    }
  : {
      imagesPerTask: 5,
      compareImages: 6,
      compareRepeats: 2,
      repeats: 2,
      trainImages: 5,
      trainEpochs: 2,
      jobs: 60,
      loopImages: 4,
    };
const TASKS = ["blur", "saliency", "glass"] as const;

interface TestImage {
  readonly task: string;
  readonly id: string;
  readonly path: string;
  readonly pair: DatasetPair;
  readonly bytes: Uint8Array;
  readonly image: RgbImage;
}

/** First N held-out images (the train/test split of train-time.ts) of each task; none without datasets. */
async function testImages(perTask: number): Promise<TestImage[]> {
  const root = resolveDatasetsRoot();
  if (!existsSync(root)) return [];
  const out: TestImage[] = [];
  for (const task of TASKS) {
    const def = defaultTaskRegistry.get(task);
    const dataset = await loadDataset(def.dataset ?? def.name, { root });
    const { test } = splitTrainTest(dataset.pairs, { train: 50, seed: 1 });
    for (const pair of test.slice(0, perTask)) {
      const bytes = new Uint8Array(await readFile(pair.imagePath));
      out.push({ task, id: pair.id, path: pair.imagePath, pair, bytes, image: await decodeImage(bytes) });
    }
  }
  return out;
}

/** Runs a script in a child Node process and returns the last JSON line it printed. */
function runJsonScript(script: string, scriptArgs: string[], env: Record<string, string>): Promise<unknown> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [script, ...scriptArgs], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", (code) => {
      const line = stdout
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("{"));
      if (code === 0 && line) ok(JSON.parse(line));
      else fail(new Error(`${script} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** A task's policy and the segmenter it runs on (its card's encoder). */
type ModelsFor = (task: string) => Promise<{ policy: Policy; segmenter: PromptableSegmenter }>;

async function stagesFor(
  images: readonly TestImage[],
  modelsFor: ModelsFor,
  repeats: number,
): Promise<ImageStages[]> {
  const rows: ImageStages[] = [];
  // Warm-up of every task's models (JIT, tfjs kernels, policy load, CenterNet): not counted.
  for (const task of new Set(images.map((i) => i.task))) {
    const first = images.find((i) => i.task === task)!;
    const m = await modelsFor(task);
    await timeImage(first.id, first.bytes, m.policy, m.segmenter);
  }
  for (const img of images) {
    const { policy, segmenter } = await modelsFor(img.task);
    for (let r = 0; r < repeats; r++)
      rows.push(await timeImage(`${img.task}/${img.id}`, img.bytes, policy, segmenter));
  }
  return rows;
}

const sections: Section[] = [];
/** The issue-level numbers, gathered from the sections below and shown first. */
const headline: Headline = {};
/** Before/after rows of the smaller changes, gathered by the sections that have their inputs. */
const micro: MicroRow[] = [];
const started = Date.now();
const loadAtStart = loadavg();
const tf = await initTf();
progress(`tfjs backend ${tf.backend}; load average ${loadAtStart.map((v) => v.toFixed(2)).join(" ")}`);
const images = await testImages(SIZE.imagesPerTask);
if (images.length === 0)
  progress(`no datasets under ${resolveDatasetsRoot()}: sections on real images are skipped`);
const skipNoData = (name: string): Section => ({
  kind: "skipped",
  title: name,
  reason: `no datasets under ${resolveDatasetsRoot()} (set ALIGNSAM_DATASETS)`,
});

if (only.has("classic")) {
  if (images.length === 0) sections.push(skipNoData("Classic backend: before and after"));
  else {
    progress("classic backend before/after");
    const subset = images.filter((_, i) => i % Math.ceil(images.length / SIZE.compareImages) === 0);
    const cmp = await compareClassic(
      subset.map((i) => i.image),
      { repeats: SIZE.compareRepeats, clicks: 16 },
    );
    const embedding = await createClassicSegmenter().encode(subset[0].image);
    sections.push({
      kind: "classic",
      command,
      images: subset.map((i) => `${i.task}/${i.id}`),
      result: cmp,
      embedding: {
        image: `${subset[0].image.width}x${subset[0].image.height}`,
        tensorMiB: embedding.data.byteLength / 2 ** 20,
        totalMiB: embeddingBytes(embedding) / 2 ** 20,
      },
    });
  }
}

if (only.has("per-image")) {
  if (images.length === 0) sections.push(skipNoData("Per-image breakdown, classic backend"));
  else {
    progress(`per-image breakdown, classic, ${images.length} images x ${SIZE.repeats}`);
    const handcrafted = createClassicSegmenter();
    const loaded = new Map<string, { policy: Policy; segmenter: PromptableSegmenter }>();
    // Each shipped policy runs on the encoder its card names (saliency and glass: combined).
    const modelsFor = async (task: string) => {
      let m = loaded.get(task);
      if (!m) {
        const dir = join(ROOT, "policies", task);
        const card = PolicyCardSchema.parse(JSON.parse(await readFile(join(dir, "card.json"), "utf8")));
        const { segmenter } = await openPolicyModels(defaultTaskRegistry.get(task), card, handcrafted);
        m = { policy: await loadPolicy(dir, { segmenterInfo: segmenter.info }), segmenter };
        loaded.set(task, m);
      }
      return m;
    };
    const rows = await stagesFor(images, modelsFor, SIZE.repeats);
    headline.classic = {
      wall: median(rows.map((r) => r.overheadRatio)),
      cpu: median(rows.map((r) => r.cpuOverheadRatio)),
    };
    sections.push({
      kind: "stages",
      title: "Per-image breakdown, classic backend",
      command,
      backend: "classic-v1, shipped policies (blur: handcrafted encoder; saliency, glass: combined)",
      rows,
    });
    for (const m of loaded.values()) m.policy.dispose();
  }
}

if (only.has("onnx")) {
  if (images.length === 0) sections.push(skipNoData("Per-image breakdown, realistic-size ONNX SAM"));
  else {
    progress("per-image breakdown, realistic ONNX SAM (building the model, training a 2-image policy)");
    const dir = await mkdtemp(join(tmpdir(), "alignsam-bench-sam-"));
    try {
      const info = await writeRealisticSam(dir);
      const segmenter = await createOnnxSamSegmenter({ manifestUri: info.manifestPath });
      const task = defaultTaskRegistry.get("saliency");
      const own = images.filter((i) => i.task === "saliency");
      // A real (if tiny) training run gives a policy compatible with this segmenter.
      const samples = [];
      for (const i of own.slice(0, 2)) {
        const { image, mask } = await loadPair(i.pair, { resizeMask: true });
        samples.push({ id: i.id, image, mask });
      }
      const policy = await trainPolicy(samples, task, { segmenter, seed: 1, epochs: 1, prior: "none" });
      const rows = await stagesFor(own, async () => ({ policy, segmenter }), SIZE.repeats);
      const prompt = {
        points: [
          { x: own[0].image.width * 0.4, y: own[0].image.height * 0.5 },
          { x: own[0].image.width * 0.1, y: own[0].image.height * 0.1 },
        ],
        labels: [1, 0] as (0 | 1)[],
      };
      const embedding = await segmenter.encode(own[0].image);
      micro.push(
        await compareLazyMasks(
          "ONNX SAM decode, realistic (in-graph masks)",
          segmenter,
          embedding,
          prompt,
          2 * SIZE.repeats + 1,
        ),
      );
      const splitDir = join(dir, "split");
      await writeSamFixture(splitDir, { kind: "sam-split" });
      const split = await createOnnxSamSegmenter({ manifestUri: join(splitDir, "manifest.json") });
      const splitEmbedding = await split.encode(own[0].image);
      micro.push(
        await compareLazyMasks(
          "ONNX SAM decode, split-export fixture (masks upscaled in JS)",
          split,
          splitEmbedding,
          prompt,
          5 * SIZE.repeats,
        ),
      );
      await split.dispose();
      sections.push({
        kind: "stages",
        title: "Per-image breakdown, realistic-size ONNX SAM",
        command,
        backend: `onnx-sam (generated: encoder ${(info.encoderParams / 1e6).toFixed(2)}M params, decoder ${(info.decoderParams / 1e6).toFixed(2)}M params, provider ${segmenter.provider})`,
        rows,
      });
      policy.dispose();
      await segmenter.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

if (only.has("event-loop")) {
  if (images.length === 0) sections.push(skipNoData("Worker event loop"));
  else {
    progress("worker event-loop stalls: in process, with turns, with the encoder on a thread");
    const subset = images
      .filter((i) => i.task === "saliency")
      .slice(0, SIZE.loopImages)
      .map((i) => i.image);
    const results = [];
    for (const mode of EVENT_LOOP_MODES) results.push(await measureEventLoop(subset, "saliency", mode));
    sections.push({ kind: "event-loop", command, results });
  }
}

if (only.has("training")) {
  if (images.length === 0) sections.push(skipNoData("Training time"));
  else {
    const script = join(ROOT, "bench/core/train-breakdown.ts");
    const base = [
      "--task",
      "blur",
      "--images",
      String(SIZE.trainImages),
      "--epochs",
      String(SIZE.trainEpochs),
    ];
    const runs: unknown[] = [];
    // Before/after alternate (twice in a full run) so a change in machine load hits both alike.
    const plan: (readonly ["wasm" | "cpu", boolean])[] = quick
      ? [
          ["wasm", true],
          ["wasm", false],
          ["cpu", false],
        ]
      : [
          ["wasm", true],
          ["wasm", false],
          ["wasm", true],
          ["wasm", false],
          ["cpu", false],
        ];
    for (const [backend, baseline] of plan) {
      progress(`training breakdown, tfjs ${backend}${baseline ? ", baseline classic decode" : ""}`);
      runs.push(
        await runJsonScript(script, baseline ? [...base, "--baseline"] : base, {
          ALIGNSAM_TF_BACKEND: backend,
        }),
      );
    }
    const paperRun = await readPaperTrainingRun();
    if (paperRun) headline.paperTraining = paperRun;
    sections.push({
      kind: "training",
      command,
      scriptCommand: `ALIGNSAM_TF_BACKEND=<backend> npm exec -- node bench/core/train-breakdown.ts ${base.join(" ")} [--baseline]`,
      runs: runs as never,
      // The end-to-end run at the paper's settings, recorded by bench/paper-training.ts.
      paperRun,
    });
  }
}

if (only.has("throughput")) {
  if (images.length === 0) sections.push(skipNoData("Worker throughput and memory"));
  else {
    const uploads: UploadImage[] = images
      .filter((i) => i.task === "saliency")
      .map((i) => ({ bytes: i.bytes, name: i.path.split("/").pop() ?? "image.jpg" }));
    const results = [];
    for (const [workers, concurrency] of [
      [1, 1],
      [2, 1],
      [1, 2],
    ] as const) {
      progress(
        `throughput through the local stack, ${workers} worker(s) x ${concurrency} job(s), ${SIZE.jobs} jobs`,
      );
      results.push(
        await runThroughput({ workers, concurrency, jobs: SIZE.jobs, images: uploads, task: "saliency" }),
      );
    }
    headline.workerPeakMiB = Math.max(...results.flatMap((r) => r.memory.map((m) => m.peakMiB)));
    sections.push({ kind: "throughput", command, results });
  }
}

if (only.has("memory")) {
  // Its own page: docs/benchmarks/memory.md (a quick run only reports progress).
  await runWorkerMemoryBench({
    quick,
    write: quick ? false : join(ROOT, "docs/benchmarks/memory.md"),
    progress,
  });
}

if (only.has("sam-graphs")) {
  // A child process of its own, so its peak RSS is the real graphs' and not this run's; it writes
  // docs/benchmarks/sam-graphs.md (or a skip note when ../shared/models/sam-graphs is absent).
  progress("real SAM graphs (bench/sam-graphs.ts -> docs/benchmarks/sam-graphs.md)");
  const graphs = (await runJsonScript(
    join(ROOT, "bench/sam-graphs.ts"),
    // A quick run's page goes to a temporary file, not over the committed sam-graphs.md.
    quick ? ["--quick", "--out", join(tmpdir(), "alignsam-sam-graphs.quick.md")] : [],
    {},
  )) as {
    skipped?: unknown;
    samEncodeMs?: number;
    samDecodeMs?: number;
    samOverhead?: number;
    classicOverhead?: number;
    rssMiB?: { start: number; loaded: number; peak: number };
  };
  if (!graphs.skipped && graphs.samOverhead !== undefined) {
    headline.samGraphs = {
      overhead: graphs.samOverhead,
      classicOverhead: graphs.classicOverhead ?? Number.NaN,
      encodeMs: graphs.samEncodeMs ?? Number.NaN,
      decodeMs: graphs.samDecodeMs ?? Number.NaN,
      loadedMiB: graphs.rssMiB?.loaded ?? Number.NaN,
    };
  }
}

if (only.has("load")) {
  const loadPath = join(ROOT, "bench/load.ts");
  if (!existsSync(loadPath)) {
    sections.push({
      kind: "skipped",
      title: "API load",
      reason: "bench/load.ts (piece 6b) is not there yet",
    });
  } else {
    progress("API load benchmark (bench/load.ts)");
    const mod = (await import(loadPath)) as {
      runLoadBench?: (o: { quick: boolean; write: string | false }) => Promise<unknown>;
    };
    if (typeof mod.runLoadBench !== "function") {
      sections.push({
        kind: "skipped",
        title: "API load",
        reason: "bench/load.ts does not export runLoadBench",
      });
    } else {
      // A full run also rewrites docs/benchmarks/load.md; a quick one only reports here.
      const write = quick ? false : join(ROOT, "docs/benchmarks/load.md");
      sections.push({ kind: "load", command, result: await mod.runLoadBench({ quick, write }) });
    }
  }
}

if (only.has("admission")) {
  // Quota admission vs history and enqueue vs its floor: its own section of docs/benchmarks/load.md,
  // written after the load benchmark rewrote the page (a quick run only prints progress).
  progress("admission and enqueue-floor benchmark (bench/admission.ts)");
  const { runAdmissionBench } = await import("./admission.ts");
  const admission = await runAdmissionBench({
    quick,
    write: quick ? false : join(ROOT, "docs/benchmarks/load.md"),
    progress,
  });
  headline.admission = admission.admission.map((r) => ({
    records: r.records,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
  }));
  headline.enqueueRatio = admission.enqueue.ratio;
}

micro.push(
  ...(await compareProbabilityMap(
    [
      [640, 480],
      [1920, 1080],
    ],
    3 * SIZE.repeats,
  )),
);
sections.push({ kind: "micro", command, rows: micro });

const markdown = renderReport({
  command,
  quick,
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    loadAtStart,
    loadAtEnd: loadavg(),
    node: process.version,
    tfBackend: tf.backend,
  },
  totalSeconds: (Date.now() - started) / 1000,
  headline,
  sections,
});
await writeFile(out, markdown);
progress(`wrote ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
