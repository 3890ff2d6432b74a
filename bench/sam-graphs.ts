/**
 * Where an image's time goes on the genuine MobileSAM encoder + official SAM decoder export (RANDOM
 * weights, ../shared/models/sam-graphs or ALIGNSAM_SAM_GRAPHS), beside the classic backend in the
 * same run: encode, each decode, a T = 15 episode's wall time and its overhead over the model floor
 * (one encode + T + 1 decodes), a decode with and without the graph's own `masks` output, and the
 * peak RSS of this process with the models loaded. Writes docs/benchmarks/sam-graphs.md (or
 * --out), and prints one JSON line (bench/run.ts runs it as a child for a clean RSS reading).
 *
 *   npm exec -- node bench/sam-graphs.ts [--quick] [--out docs/benchmarks/sam-graphs.md]
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import {
  loadDataset,
  loadPair,
  resolveDatasetsRoot,
  splitTrainTest,
} from "../packages/core/src/datasets/index.ts";
import { decodeImage } from "../packages/core/src/image/decode.ts";
import { encodeRgbPng } from "../packages/core/src/image/encode.ts";
import type { RgbImage } from "../packages/core/src/image/types.ts";
import { createClassicSegmenter } from "../packages/core/src/models/classic/index.ts";
import { createOnnxSamSegmenter } from "../packages/core/src/models/onnx-sam/index.ts";
import type { DecodePrompt, Embedding, PromptableSegmenter } from "../packages/core/src/models/ports.ts";
import { trainPolicy } from "../packages/core/src/pipeline/train.ts";
import type { Policy } from "../packages/core/src/policy/policy.ts";
import { defaultTaskRegistry } from "../packages/core/src/tasks/registry.ts";
import {
  resolveSamGraphsDir,
  samGraphsMissing,
  writeSamGraphsPackage,
} from "../packages/core/src/testing/sam-graphs.ts";
import { initTf } from "../packages/core/src/tf/backend.ts";
import { type ImageStages, timeImage } from "./core/per-image.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "docs/benchmarks/sam-graphs.md") },
  },
});
const STEPS = 15;
const SIZE = args.quick ? { images: 2, repeats: 1, decodes: 5 } : { images: 4, repeats: 2, decodes: 15 };
const THREADS = { intraOpNumThreads: 2, interOpNumThreads: 1 };
const command = `npm exec -- node bench/sam-graphs.ts${args.quick ? " --quick" : ""}`;
const progress = (line: string) =>
  process.stderr.write(`[sam-graphs ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const rssMiB = () => process.resourceUsage().maxRSS / 1024;
const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[s.length >> 1]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v: number) => v.toFixed(v < 10 ? 1 : 0);

interface BenchImage {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly image: RgbImage;
  readonly mask?: Awaited<ReturnType<typeof loadPair>>["mask"];
}

/** Held-out saliency images when the datasets are there, else generated textured scenes. */
async function benchImages(count: number): Promise<{ images: BenchImage[]; source: string }> {
  const root = resolveDatasetsRoot();
  if (existsSync(join(root, "saliency"))) {
    const dataset = await loadDataset("saliency", { root });
    const { test } = splitTrainTest(dataset.pairs, { train: 50, seed: 1 });
    const images: BenchImage[] = [];
    for (const pair of test.slice(0, count)) {
      const bytes = new Uint8Array(await readFile(pair.imagePath));
      const { mask } = await loadPair(pair, { resizeMask: true });
      images.push({ id: `saliency/${pair.id}`, bytes, image: await decodeImage(bytes), mask });
    }
    return { images, source: `the first ${images.length} held-out saliency images (${root})` };
  }
  const images: BenchImage[] = [];
  for (let i = 0; i < count; i++) {
    const [width, height] = [640 - 80 * i, 480];
    const data = new Uint8Array(width * height * 3).map((_, k) =>
      Math.floor(128 + 100 * Math.sin(k / (300 + 29 * i))),
    );
    const image = { width, height, data };
    images.push({ id: `generated-${i}`, bytes: await encodeRgbPng(image), image });
  }
  return { images, source: `${count} generated images (no datasets under ${root})` };
}

/** A 2-image policy trained on `segmenter` (T = 15): a real card for segmentImage to follow. */
async function tinyPolicy(images: readonly BenchImage[], segmenter: PromptableSegmenter): Promise<Policy> {
  const task = defaultTaskRegistry.get("saliency");
  const samples = images.slice(0, 2).map((i) => ({
    id: i.id,
    image: i.image,
    mask: i.mask ?? {
      width: i.image.width,
      height: i.image.height,
      data: new Uint8Array(i.image.width * i.image.height),
    },
  }));
  return trainPolicy(samples, task, { segmenter, seed: 1, epochs: 1, steps: STEPS, prior: "none" });
}

/** Decode time with the graph's masks output read (all 4 candidates at the original size) vs not. */
async function decodeModes(manifestUri: string, embedding: Embedding, repeats: number) {
  const plain = await createOnnxSamSegmenter({ manifestUri, ...THREADS, warmUp: false });
  const inGraph = await createOnnxSamSegmenter({
    manifestUri,
    ...THREADS,
    warmUp: false,
    inGraphMasks: true,
  });
  const prompt: DecodePrompt = {
    points: [{ x: embedding.imageWidth * 0.4, y: embedding.imageHeight * 0.5 }],
    labels: [1],
  };
  const times = { inGraph: [] as number[], lowResOnly: [] as number[], upscaleOne: [] as number[] };
  const cpu = { inGraph: [] as number[], lowResOnly: [] as number[] };
  // CPU time of the process (ORT's threads included): far less sensitive than wall time to the
  // other processes on a shared machine.
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  let equal = true;
  for (let r = 0; r <= repeats; r++) {
    // Interleaved, so a change in machine load hits both alike; the first round warms up.
    let c0 = process.cpuUsage();
    let t0 = performance.now();
    const a = await inGraph.decode(embedding, prompt);
    const ta = performance.now() - t0;
    const ca = cpuMs(process.cpuUsage(c0));
    void a.masks[0].data;
    c0 = process.cpuUsage();
    t0 = performance.now();
    const b = await plain.decode(embedding, prompt);
    const tb = performance.now() - t0;
    const cb = cpuMs(process.cpuUsage(c0));
    t0 = performance.now();
    const bMask = b.masks[0].data; // the one candidate an episode reads, upscaled in TypeScript
    const tu = performance.now() - t0;
    if (Buffer.compare(a.masks[0].data, bMask) !== 0) equal = false;
    if (r > 0) {
      times.inGraph.push(ta);
      times.lowResOnly.push(tb);
      times.upscaleOne.push(tu);
      cpu.inGraph.push(ca);
      cpu.lowResOnly.push(cb);
    }
  }
  await plain.dispose();
  await inGraph.dispose();
  return {
    inGraphMs: median(times.inGraph),
    lowResOnlyMs: median(times.lowResOnly),
    upscaleOneMs: median(times.upscaleOne),
    inGraphCpuMs: median(cpu.inGraph),
    lowResOnlyCpuMs: median(cpu.lowResOnly),
    byteEqual: equal,
  };
}

async function rawDecoderSplit(embedding: Embedding, repeats: number) {
  // The graph alone, without the adapter: how much of a decode is the in-graph post-processing.
  const session = await ort.InferenceSession.create(join(resolveSamGraphsDir(), "sam_decoder.onnx"), {
    executionProviders: ["cpu"],
    ...THREADS,
  });
  const feeds = (h: number, w: number) => ({
    image_embeddings: new ort.Tensor("float32", embedding.data, [1, 256, 64, 64]),
    point_coords: new ort.Tensor("float32", Float32Array.from([300, 300, 0, 0]), [1, 2, 2]),
    point_labels: new ort.Tensor("float32", Float32Array.from([1, -1]), [1, 2]),
    mask_input: new ort.Tensor("float32", new Float32Array(256 * 256), [1, 1, 256, 256]),
    has_mask_input: new ort.Tensor("float32", Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor("float32", Float32Array.from([h, w]), [2]),
  });
  const full = [] as number[];
  const tiny = [] as number[];
  for (let r = 0; r <= repeats; r++) {
    let t0 = performance.now();
    await session.run(feeds(embedding.imageHeight, embedding.imageWidth));
    if (r > 0) full.push(performance.now() - t0);
    t0 = performance.now();
    await session.run(feeds(1, 1), ["iou_predictions", "low_res_masks"]);
    if (r > 0) tiny.push(performance.now() - t0);
  }
  await session.release();
  return { fullMs: median(full), tinyMs: median(tiny) };
}

/** "-20 %" (CPU time of the default path relative to reading the graph's masks). */
function change(m: { inGraphCpuMs: number; lowResOnlyCpuMs: number }): string {
  const pct = (100 * (m.lowResOnlyCpuMs - m.inGraphCpuMs)) / m.inGraphCpuMs;
  return `${pct > 0 ? "+" : ""}${pct.toFixed(0)} %`;
}

function stageRows(backend: string, rows: readonly ImageStages[]): string[] {
  return rows.map(
    (r) =>
      `| ${backend} | ${r.id} | ${ms(r.encode)} | ${ms(median(r.decodes))} | ${r.decodes.length} | ${ms(r.decodes.reduce((a, b) => a + b, 0))} | ${ms(r.agent + r.srm)} | ${ms(r.wall)} | ${r.overheadRatio.toFixed(2)} |`,
  );
}

async function main(): Promise<void> {
  const missing = samGraphsMissing();
  if (missing) {
    progress(`skipped: ${missing}`);
    await writeFile(
      args.out,
      `# Real SAM graphs: per-image time\n\nSkipped: ${missing}. Run \`${command}\` where the graphs are.\n`,
    );
    console.log(JSON.stringify({ skipped: missing }));
    return;
  }
  const started = Date.now();
  const load0 = loadavg();
  const tf = await initTf();
  const rssStart = rssMiB();
  const { images, source } = await benchImages(SIZE.images);
  const dir = await mkdtemp(join(tmpdir(), "alignsam-bench-sam-graphs-"));
  try {
    const manifestUri = await writeSamGraphsPackage(join(dir, "model"));
    progress("loading the real graphs (checksums, sessions, warm-up)");
    const t0 = performance.now();
    const sam = await createOnnxSamSegmenter({ manifestUri, ...THREADS });
    const loadMs = performance.now() - t0;
    const rssLoaded = rssMiB();
    const classic = createClassicSegmenter();
    progress("training 2-image policies (T = 15) on each backend");
    const samPolicy = await tinyPolicy(images, sam);
    const classicPolicy = await tinyPolicy(images, classic);
    const rows = { sam: [] as ImageStages[], classic: [] as ImageStages[] };
    // Warm-up of both paths (JIT, tfjs kernels), not counted.
    await timeImage("warm-up", images[0].bytes, samPolicy, sam);
    await timeImage("warm-up", images[0].bytes, classicPolicy, classic);
    for (const img of images) {
      for (let r = 0; r < SIZE.repeats; r++) {
        progress(`${img.id} (${img.image.width}x${img.image.height}), round ${r + 1}`);
        rows.sam.push(await timeImage(img.id, img.bytes, samPolicy, sam));
        rows.classic.push(await timeImage(img.id, img.bytes, classicPolicy, classic));
      }
    }
    progress("decode with and without the graph's masks output");
    const embedding = await sam.encode(images[0].image);
    const big = { width: 1920, height: 1080, data: new Uint8Array(1920 * 1080 * 3).map((_, k) => k % 251) };
    const bigEmbedding = await sam.encode(big);
    const modes = await decodeModes(manifestUri, embedding, SIZE.decodes);
    const bigModes = await decodeModes(manifestUri, bigEmbedding, SIZE.decodes);
    const raw = await rawDecoderSplit(embedding, SIZE.decodes);
    const rssPeak = rssMiB();
    samPolicy.dispose();
    classicPolicy.dispose();
    await sam.dispose();

    const samEncode = median(rows.sam.map((r) => r.encode));
    const samDecode = median(rows.sam.flatMap((r) => r.decodes));
    const samRatio = median(rows.sam.map((r) => r.overheadRatio));
    const classicRatio = median(rows.classic.map((r) => r.overheadRatio));
    const img0 = `${images[0].image.width}x${images[0].image.height}`;
    const lines = [
      "# Real SAM graphs: per-image time",
      "",
      `Written by \`${command}\` on ${new Date(started).toISOString().slice(0, 10)} (${((Date.now() - started) / 60000).toFixed(1)} min): ${cpus().length} CPU cores (${cpus()[0]?.model ?? "?"}), load average ${load0.map((v) => v.toFixed(1)).join(" ")} at start (the machine is shared: expect noise), ONNX Runtime ${ort.env.versions.common} CPU, ${THREADS.intraOpNumThreads} intra-op / ${THREADS.interOpNumThreads} inter-op threads, tfjs ${tf.backend}.`,
      "",
      "The graphs are the genuine MobileSAM TinyViT encoder and the official SAM prompt-encoder/mask-decoder export with **random weights** (`../shared/models/sam-graphs`, see its README): the operators, shapes and cost are the real ones, the masks mean nothing. Images: " +
        `${source}. Policies: 2-image, 1-epoch policies trained in this run for each backend (T = ${STEPS} clicks, M_c = 1), so both backends run the same episode: one encode, then the initial prompts' decode and one decode per click.`,
      "",
      "## Per image",
      "",
      "The floor is the model's own time, encode + every decode; overhead = wall / floor (wall covers image decoding, the episode, the agent and the SRM, and writing the mask PNG, probability PNG and RLE).",
      "",
      "| backend | image | encode ms | decode ms (median) | decodes | all decodes ms | agent + SRM ms | wall ms | overhead |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...stageRows("onnx-sam (real graphs)", rows.sam),
      ...stageRows("classic", rows.classic),
      "",
      `Medians: real graphs encode ${ms(samEncode)} ms, decode ${ms(samDecode)} ms, overhead ${samRatio.toFixed(2)}x; classic overhead ${classicRatio.toFixed(2)}x. The graphs' README measured 615 ms per encode and 41 ms per decode in Python (onnxruntime 1.30, 2 threads, an idle moment of the same kind of machine); the gap to the numbers here is the machine's load at the time of the run, not Node: the raw-session decode below runs the same graph without the adapter.`,
      "",
      "## One decode: the graph's masks output or the low-res logits only",
      "",
      "The official decoder upsamples all four candidates to 1024 x 1024 and then resizes them to `orig_im_size` inside the graph on every decode; an episode reads the full-size mask of its final decode only (and of the first, to find the image's frame). The adapter therefore feeds `orig_im_size = [1, 1]`, does not fetch `masks`, and upscales only the candidate whose mask is read, in TypeScript, with ONNX Runtime's own float32 Resize arithmetic (`packages/core/src/models/onnx-sam/postprocess.ts`): the masks are byte-equal to the graph's (tested on 4 image shapes in `sam-graphs.test.ts`; " +
        `${modes.byteEqual && bigModes.byteEqual ? "byte-equal again in every round here" : "**NOT byte-equal in this run**"}).`,
      "",
      `Medians of ${SIZE.decodes} interleaved decodes, 1 click; CPU ms is the process's CPU time (ONNX Runtime's threads included), which the machine's other load disturbs far less than wall time.`,
      "",
      `| decode | ${img0} wall ms | ${img0} CPU ms | 1920x1080 wall ms | 1920x1080 CPU ms |`,
      "| --- | ---: | ---: | ---: | ---: |",
      `| graph's masks read (\`inGraphMasks: true\`, the previous behaviour) | ${ms(modes.inGraphMs)} | ${ms(modes.inGraphCpuMs)} | ${ms(bigModes.inGraphMs)} | ${ms(bigModes.inGraphCpuMs)} |`,
      `| low-res logits only, orig_im_size [1, 1] (default) | ${ms(modes.lowResOnlyMs)} | ${ms(modes.lowResOnlyCpuMs)} | ${ms(bigModes.lowResOnlyMs)} | ${ms(bigModes.lowResOnlyCpuMs)} |`,
      `| upscaling the one candidate read, in TypeScript (once or twice per episode) | ${ms(modes.upscaleOneMs)} | | ${ms(bigModes.upscaleOneMs)} | |`,
      "",
      `CPU per decode, low-res path against the graph's masks: ${change(modes)} at ${img0}, ${change(bigModes)} at 1920x1080. The TypeScript upscale is paid for the candidate read (once or twice an episode), the saving on every decode of the episode: it pays where images are large. The low-res path runs the same nodes with a 1 x 1 final resize and one output fewer, so a figure above 0 % is this machine's noise.`,
      "",
      `The graph alone (raw ORT session, ${img0}): ${ms(raw.fullMs)} ms with orig_im_size = the image size and every output, ${ms(raw.tinyMs)} ms with [1, 1] and only the low-res logits and scores.`,
      "",
      "The 1024 x 1024 upsample of the four candidates stays in the graph whatever `orig_im_size` is; removing it would need an edited graph.",
      "",
      "## Memory",
      "",
      `Peak RSS of this process (\`process.resourceUsage().maxRSS\`): ${rssStart.toFixed(0)} MiB before loading, ${rssLoaded.toFixed(0)} MiB with the two sessions loaded and warmed up (load ${ms(loadMs)} ms, including both files' SHA-256), ${rssPeak.toFixed(0)} MiB at the end (classic backend, tfjs, two policies and the benchmark's own arrays included). An embedding is 256 x 64 x 64 float32 = 4 MiB.`,
      "",
      "## What a GPU would change (not measured)",
      "",
      "No GPU was available for this run. On a CUDA device (`executionProviders: \"auto\"` picks it when onnxruntime-node's CUDA provider is installed) the TinyViT encode and the decoder's transformer would shrink from hundreds and tens of milliseconds to a few milliseconds each, so the model floor of a T = 15 episode would drop by one to two orders of magnitude. What stays on the CPU would then dominate: image decoding, letterboxing and normalising the 1024 x 1024 input in JavaScript, the agent and SRM forward passes (tfjs), copying the 4 MiB embedding and the low-res logits across the host/device boundary on every decode, and the final mask's upscale and PNG encoding. The overhead ratio would rise well above the CPU figure above; batching decodes (`decodeBatch`) and keeping the embedding on the device (ORT IO binding) are where the time would go next.",
      "",
    ];
    await writeFile(args.out, lines.join("\n"));
    progress(`wrote ${args.out}`);
    console.log(
      JSON.stringify({
        out: args.out,
        samEncodeMs: samEncode,
        samDecodeMs: samDecode,
        samOverhead: samRatio,
        classicOverhead: classicRatio,
        decode: modes,
        decode1080p: bigModes,
        raw,
        rssMiB: { start: rssStart, loaded: rssLoaded, peak: rssPeak },
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
