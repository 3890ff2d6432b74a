/**
 * Where one image's time goes in inference, stage by stage, measured in one run: image decoding
 * (sharp), the encoder, each mask decode, the agent and SRM forward passes, the rest of the pipeline
 * (state building, content frame, probability map), and result encoding (mask PNG, probability PNG,
 * COCO RLE). The floor is the model's own time, encode + (T+1) decodes; `overheadRatio` is wall
 * time over that floor.
 */
import { decodeImage } from "../src/image/decode.ts";
import { encodeMaskPng, encodeProbabilityPng } from "../src/mask/png.ts";
import { encodeRle } from "../src/mask/rle.ts";
import type { PromptableSegmenter } from "../src/models/ports.ts";
import { segmentImage } from "../src/pipeline/segment.ts";
import type { Policy } from "../src/policy/policy.ts";

/** One image's stage times (ms). */
export interface ImageStages {
  readonly id: string;
  readonly imageDecode: number;
  readonly encode: number;
  /** One entry per decode call, P_0's first. */
  readonly decodes: number[];
  readonly agent: number;
  readonly srm: number;
  /** segmentImage's total minus encode, decodes, agent and SRM. */
  readonly pipelineOther: number;
  readonly maskPng: number;
  readonly probabilityPng: number;
  readonly rle: number;
  readonly wall: number;
  /** CPU time of this process over the whole image (all threads: ONNX Runtime's too). */
  readonly cpu: number;
  /** encode + sum(decodes). */
  readonly model: number;
  readonly overheadRatio: number;
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
  const result = await segmentImage(image, policy, { segmenter, prior: "none" });
  t0 = performance.now();
  await encodeMaskPng(result.mask);
  const maskPng = since(t0);
  t0 = performance.now();
  await encodeProbabilityPng(result.probability);
  const probabilityPng = since(t0);
  t0 = performance.now();
  JSON.stringify(encodeRle(result.mask));
  const rle = since(t0);
  const wall = since(start);
  const cpuUsed = process.cpuUsage(cpu0);
  const { encodeMs, decodeMs, agentMs, srmMs, totalMs } = result.timings;
  const decodeSum = decodeMs.reduce((a, b) => a + b, 0);
  const model = encodeMs + decodeSum;
  return {
    id,
    imageDecode,
    encode: encodeMs,
    decodes: decodeMs,
    agent: agentMs,
    srm: srmMs,
    pipelineOther: totalMs - model - agentMs - srmMs,
    maskPng,
    probabilityPng,
    rle,
    wall,
    cpu: (cpuUsed.user + cpuUsed.system) / 1000,
    model,
    overheadRatio: wall / model,
  };
}
