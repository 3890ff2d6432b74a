/**
 * Where one image's time goes in inference, stage by stage, measured in one run: image decoding
 * (sharp), the encoder, each mask decode, the agent and SRM forward passes, the rest of the pipeline
 * (state building, content frame, probability map), and result encoding (mask PNG, probability PNG,
 * COCO RLE). The floor is the model's own time, encode + (T+1) decodes; `overheadRatio` is wall
 * time over that floor. On a shared machine wall times carry other processes' load, so the same
 * ratio is also taken in CPU time (`cpuOverheadRatio`): this process's CPU (all threads: sharp's,
 * the WebAssembly backend's, the collector's) over the whole image against its CPU inside the
 * encode and decode calls, during which nothing else of this bench runs.
 */
import { decodeImage } from "../../packages/core/src/image/decode.ts";
import { encodeMaskPng, encodeProbabilityPng } from "../../packages/core/src/mask/png.ts";
import { encodeRle } from "../../packages/core/src/mask/rle.ts";
import type { PromptableSegmenter } from "../../packages/core/src/models/ports.ts";
import { segmentImage } from "../../packages/core/src/pipeline/segment.ts";
import type { Policy } from "../../packages/core/src/policy/policy.ts";

/** One image's stage times (ms). */
export interface ImageStages {
  readonly id: string;
  readonly imageDecode: number;
  readonly encode: number;
  /** One entry per decode call, P_0's first. */
  readonly decodes: number[];
  readonly agent: number;
  readonly srm: number;
  /** Building s_t and the agent's observation after each decode (part of pipelineOther). */
  readonly state: number;
  /** segmentImage's total minus encode, decodes, agent and SRM. */
  readonly pipelineOther: number;
  /** Painting the full-size mask on its first read (the classic backend's is lazy). */
  readonly fullMask: number;
  /** Each output's own time; they overlap (encoded concurrently, as the worker does). */
  readonly maskPng: number;
  readonly probabilityPng: number;
  readonly rle: number;
  /** The three outputs together, concurrently: what the wall time pays. */
  readonly outputs: number;
  readonly wall: number;
  /** CPU time of this process over the whole image (all threads: ONNX Runtime's too). */
  readonly cpu: number;
  /** encode + sum(decodes). */
  readonly model: number;
  readonly overheadRatio: number;
  /** CPU of this process (all threads) inside the encode and decode calls (ms). */
  readonly modelCpu: number;
  /** cpu / modelCpu: the overhead ratio in CPU time, steadier than wall under load. */
  readonly cpuOverheadRatio: number;
}

/** The segmenter with the process's CPU time inside encode and decode added to `cpu.ms`. */
function cpuMetered(segmenter: PromptableSegmenter, cpu: { ms: number }): PromptableSegmenter {
  const metered = async <T>(f: () => Promise<T>): Promise<T> => {
    const t0 = process.cpuUsage();
    try {
      return await f();
    } finally {
      const t = process.cpuUsage(t0);
      cpu.ms += (t.user + t.system) / 1000;
    }
  };
  return {
    info: segmenter.info,
    encode: (image) => metered(() => segmenter.encode(image)),
    decode: (embedding, prompt) => metered(() => segmenter.decode(embedding, prompt)),
  };
}

const since = (t0: number) => performance.now() - t0;

/** Runs the whole inference path on one encoded image (file bytes) and times each stage. */
export async function timeImage(
  id: string,
  bytes: Uint8Array,
  policy: Policy,
  segmenter: PromptableSegmenter,
): Promise<ImageStages> {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const image = await decodeImage(bytes, { maxPixels: 40_000_000 });
  const imageDecode = since(t0);
  const modelCpu = { ms: 0 };
  const result = await segmentImage(image, policy, {
    segmenter: cpuMetered(segmenter, modelCpu),
    prior: "none",
  });
  // The full-size mask as the first output reads it (the classic backend paints it lazily).
  t0 = performance.now();
  void result.mask.data;
  const fullMask = since(t0);
  // The three outputs encoded concurrently, as the worker's segment handler does: sharp's PNG
  // encodes run on libuv's threads while the main thread writes the RLE.
  const timedOutput = async (f: () => unknown): Promise<number> => {
    const s0 = performance.now();
    await f();
    return since(s0);
  };
  t0 = performance.now();
  const [maskPng, probabilityPng, rle] = await Promise.all([
    timedOutput(() => encodeMaskPng(result.mask)),
    timedOutput(() => encodeProbabilityPng(result.probability)),
    timedOutput(() => JSON.stringify(encodeRle(result.mask))),
  ]);
  const outputs = since(t0);
  const wall = since(start);
  const cpuUsed = process.cpuUsage(cpu0);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1000;
  const { encodeMs, decodeMs, agentMs, srmMs, stateMs, totalMs } = result.timings;
  const decodeSum = decodeMs.reduce((a, b) => a + b, 0);
  const model = encodeMs + decodeSum;
  return {
    id,
    imageDecode,
    encode: encodeMs,
    decodes: decodeMs,
    agent: agentMs,
    srm: srmMs,
    state: stateMs,
    pipelineOther: totalMs - model - agentMs - srmMs,
    fullMask,
    maskPng,
    probabilityPng,
    rle,
    outputs,
    wall,
    cpu,
    model,
    overheadRatio: wall / model,
    modelCpu: modelCpu.ms,
    cpuOverheadRatio: cpu / modelCpu.ms,
  };
}
