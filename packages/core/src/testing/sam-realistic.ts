/**
 * A SAM-shaped ONNX pair of realistic cost, for benchmarks (no SAM weights can be downloaded here):
 * the official export's input/output names, dtypes and shapes (SamOnnxModel decoder with the
 * in-graph `masks` output), seeded random weights, and the kinds of work the real models do:
 * - encoder: 16 x 16 patch-embedding convolution to 256 channels on the 1024 x 1024 input, then
 *   `encoderBlocks` residual token MLPs (256 -> 1024 -> 256) over the 4096 image tokens;
 * - decoder (~4M parameters): point and label embeddings plus five output tokens, a dense
 *   mask-input embedding, three layers of token self-attention, token-to-image cross-attention
 *   (keys/values projected to 128-d, as SAM's attention downsampling) and a token MLP
 *   256 -> 2048 -> 256, then an image projection to 32 channels upsampled to 256 x 256, per-mask
 *   hypernetwork dot products for the 4 low-res masks, an IoU head, and SamOnnxModel's mask
 *   post-processing (upsample, crop, resize to the original size).
 * Its outputs mean nothing; its cost and data flow are what a benchmark needs.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../models/manifest/checksum.ts";
import { GraphBuilder } from "./onnx-builder.ts";
import { officialSamManifest } from "./sam-fixtures.ts";

const D = 256;
const ATTN = 128;
const MLP = 2048;
const UP = 32;
const MASKS = 4;
const TOKENS_OUT = 5;

/** Deterministic weights, uniform in [-scale, scale] (xorshift32). */
function randomWeights(count: number, fanIn: number, seed: number): Float32Array {
  const scale = 1 / Math.sqrt(fanIn);
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

class Weights {
  private readonly g: GraphBuilder;
  private seed = 1;
  private params = 0;
  constructor(g: GraphBuilder) {
    this.g = g;
  }
  matrix(rows: number, cols: number): string {
    this.params += rows * cols;
    return this.g.floats(randomWeights(rows * cols, rows, this.seed++ * 7919), [rows, cols]);
  }
  tensor(dims: number[], fanIn: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.params += n;
    return this.g.floats(randomWeights(n, fanIn, this.seed++ * 7919), dims);
  }
  get count(): number {
    return this.params;
  }
}

function mlp(g: GraphBuilder, w: Weights, x: string, hidden: number): string {
  const h = g.op("Relu", [g.op("MatMul", [x, w.matrix(D, hidden)])]);
  return g.op("Add", [x, g.op("MatMul", [h, w.matrix(hidden, D)])]);
}

function encoder(blocks: number): { bytes: Uint8Array; params: number } {
  const g = new GraphBuilder();
  const w = new Weights(g);
  g.input("image", "float32", [1, 3, 1024, 1024]);
  const patches = g.op("Conv", ["image", w.tensor([D, 3, 16, 16], 768), w.tensor([D], 768)], {
    kernel_shape: [16, 16],
    strides: [16, 16],
  });
  let tokens = g.op("Transpose", [g.op("Reshape", [patches, g.ints([1, D, 4096])])], { perm: [0, 2, 1] });
  for (let b = 0; b < blocks; b++) tokens = mlp(g, w, tokens, 4 * D);
  const chw = g.op("Transpose", [tokens], { perm: [0, 2, 1] });
  g.op("Reshape", [chw, g.ints([1, D, 64, 64])], undefined, ["image_embeddings"]);
  g.output("image_embeddings", "float32", [1, D, 64, 64]);
  return { bytes: g.toBytes("sam_encoder_realistic"), params: w.count };
}

function decoder(): { bytes: Uint8Array; params: number } {
  const g = new GraphBuilder();
  const w = new Weights(g);
  g.input("image_embeddings", "float32", [1, D, 64, 64]);
  g.input("point_coords", "float32", [1, "num_points", 2]);
  g.input("point_labels", "float32", [1, "num_points"]);
  g.input("mask_input", "float32", [1, 1, 256, 256]);
  g.input("has_mask_input", "float32", [1]);
  g.input("orig_im_size", "float32", [2]);
  // Prompt tokens: normalised coordinates and the label, projected to D.
  const xy = g.op("Div", [g.op("Add", ["point_coords", g.floats([0.5], [])]), g.floats([1024], [])]);
  const lab = g.op("Unsqueeze", ["point_labels", g.ints([2])]);
  const pointFeat = g.op("Concat", [xy, lab], { axis: 2 });
  const points = g.op("MatMul", [pointFeat, w.matrix(3, D)]);
  const outTokens = w.tensor([1, TOKENS_OUT, D], D);
  let tokens = g.op("Concat", [outTokens, points], { axis: 1 });
  // Image tokens plus the dense (mask-input) embedding.
  const img = g.op("Transpose", [g.op("Reshape", ["image_embeddings", g.ints([1, D, 4096])])], {
    perm: [0, 2, 1],
  });
  const pooled = g.op("AveragePool", ["mask_input"], { kernel_shape: [4, 4], strides: [4, 4] });
  const dense = g.op("Mul", [
    g.op("Transpose", [g.op("Reshape", [pooled, g.ints([1, 1, 4096])])], { perm: [0, 2, 1] }),
    g.op("Reshape", ["has_mask_input", g.ints([1, 1, 1])]),
  ]);
  const src = g.op("Add", [img, g.op("MatMul", [dense, w.matrix(1, D)])]);
  const keys = g.op("MatMul", [src, w.matrix(D, ATTN)]);
  const values = g.op("MatMul", [src, w.matrix(D, ATTN)]);
  const keysT = g.op("Transpose", [keys], { perm: [0, 2, 1] });
  for (let layer = 0; layer < 3; layer++) {
    // Token self-attention: the output tokens read the prompt tokens.
    const sq = g.op("MatMul", [tokens, w.matrix(D, ATTN)]);
    const sk = g.op("Transpose", [g.op("MatMul", [tokens, w.matrix(D, ATTN)])], { perm: [0, 2, 1] });
    const sv = g.op("MatMul", [tokens, w.matrix(D, ATTN)]);
    const sa = g.op(
      "Softmax",
      [g.op("Mul", [g.op("MatMul", [sq, sk]), g.floats([1 / Math.sqrt(ATTN)], [])])],
      {
        axis: -1,
      },
    );
    tokens = g.op("Add", [tokens, g.op("MatMul", [g.op("MatMul", [sa, sv]), w.matrix(ATTN, D)])]);
    // Token-to-image cross-attention.
    const q = g.op("MatMul", [tokens, w.matrix(D, ATTN)]);
    const logits = g.op("Mul", [g.op("MatMul", [q, keysT]), g.floats([1 / Math.sqrt(ATTN)], [])]);
    const attended = g.op("MatMul", [g.op("Softmax", [logits], { axis: -1 }), values]);
    tokens = g.op("Add", [tokens, g.op("MatMul", [attended, w.matrix(ATTN, D)])]);
    tokens = mlp(g, w, tokens, MLP);
  }
  // Upscaled image features (32 channels at 256 x 256) and one hypernetwork vector per mask.
  const up = g.op("Relu", [g.op("MatMul", [src, w.matrix(D, UP)])]);
  const upChw = g.op("Reshape", [g.op("Transpose", [up], { perm: [0, 2, 1] }), g.ints([1, UP, 64, 64])]);
  const upscaled = g.op("Resize", [upChw, "", "", g.ints([1, UP, 256, 256])], { mode: "linear" });
  const maskTokens = g.op("Slice", [tokens, g.ints([1]), g.ints([1 + MASKS]), g.ints([1])]);
  const hyper = g.op("MatMul", [
    g.op("Relu", [g.op("MatMul", [maskTokens, w.matrix(D, D)])]),
    w.matrix(D, UP),
  ]);
  const flat = g.op("Reshape", [upscaled, g.ints([1, UP, 65536])]);
  g.op("Reshape", [g.op("MatMul", [hyper, flat]), g.ints([1, MASKS, 256, 256])], undefined, [
    "low_res_masks",
  ]);
  const iouToken = g.op("Reshape", [
    g.op("Slice", [tokens, g.ints([0]), g.ints([1]), g.ints([1])]),
    g.ints([1, D]),
  ]);
  const iouHidden = g.op("Relu", [g.op("Gemm", [iouToken, w.matrix(D, D), w.tensor([D], D)])]);
  g.op("Sigmoid", [g.op("Gemm", [iouHidden, w.matrix(D, MASKS), w.tensor([MASKS], D)])], undefined, [
    "iou_predictions",
  ]);
  // SamOnnxModel.mask_postprocessing: upsample to 1024, crop the unpadded part, resize to orig.
  const big = g.op("Resize", ["low_res_masks", "", "", g.ints([1, MASKS, 1024, 1024])], { mode: "linear" });
  const longest = g.op("ReduceMax", ["orig_im_size"], { keepdims: 0 });
  const scale = g.op("Div", [g.floats([1024], []), longest]);
  const pre = g.op("Floor", [g.op("Add", [g.op("Mul", ["orig_im_size", scale]), g.floats([0.5], [])])]);
  const crop = g.op("Slice", [big, g.ints([0, 0]), g.op("Cast", [pre], { to: 7 }), g.ints([2, 3])]);
  const sizes = g.op("Concat", [g.ints([1, MASKS]), g.op("Cast", ["orig_im_size"], { to: 7 })], { axis: 0 });
  g.op("Resize", [crop, "", "", sizes], { mode: "linear" }, ["masks"]);
  g.output("masks", "float32", [1, MASKS, "H", "W"]);
  g.output("iou_predictions", "float32", [1, MASKS]);
  g.output("low_res_masks", "float32", [1, MASKS, 256, 256]);
  return { bytes: g.toBytes("sam_decoder_realistic"), params: w.count };
}

export interface RealisticSamInfo {
  readonly manifestPath: string;
  readonly encoderParams: number;
  readonly decoderParams: number;
}

/**
 * Writes encoder.onnx, decoder.onnx and manifest.json (kind "sam") of the realistic-cost pair into
 * `dir`. `encoderBlocks` scales the encoder's cost (each block is ~1 GFLOP). @default 2
 */
export async function writeRealisticSam(
  dir: string,
  options: { encoderBlocks?: number } = {},
): Promise<RealisticSamInfo> {
  await mkdir(dir, { recursive: true });
  const enc = encoder(options.encoderBlocks ?? 2);
  const dec = decoder();
  await writeFile(join(dir, "encoder.onnx"), enc.bytes);
  await writeFile(join(dir, "decoder.onnx"), dec.bytes);
  const manifest = officialSamManifest({
    id: "sam-realistic-bench",
    encoderSha256: sha256Hex(enc.bytes),
    decoderSha256: sha256Hex(dec.bytes),
    embeddingDim: D,
    numMasks: MASKS,
    withMasks: true,
  });
  const manifestPath = join(dir, "manifest.json");
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return { manifestPath, encoderParams: enc.params, decoderParams: dec.params };
}
