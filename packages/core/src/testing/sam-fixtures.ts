/**
 * Tiny SAM look-alikes for tests: ONNX models with exactly the input/output names, dtypes and shapes
 * of the official SAM decoder export (SamOnnxModel) and of the transformers.js split export, whose
 * outputs are simple, hand-checkable functions of their inputs:
 * - encoder: 16x16 average pooling of the normalised image, then a fixed 1x1 convolution to C channels;
 * - decoder: candidate k is a disc of radius RADII[k] (model-frame pixels) around the first prompt
 *   point (after SAM's +0.5 shift), inverted when that point is negative, plus has_mask_input *
 *   mask_input; scores are SCORES[k] + 0.01 x (number of points labelled -1). So a wrong coordinate
 *   transform, a missing padding point or a dropped mask input all show up in the numbers.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../models/manifest/checksum.ts";
import { GraphBuilder } from "./onnx-builder.ts";

export const FIXTURE_RADII = [40, 80, 120, 160] as const;
export const FIXTURE_SCORES = [0.5, 0.7, 0.95, 0.6] as const;
/** Divisor that keeps the fixture logits in a moderate range. */
export const FIXTURE_LOGIT_SCALE = 64;
export const FIXTURE_EMBED_DIM = 256;

/** Weight of the fixture encoder's 1x1 convolution: output channel c from input channel k. */
export function fixtureEncoderWeight(c: number, k: number): number {
  return (((c * 7 + k * 3) % 11) - 5) / 5;
}
export function fixtureEncoderBias(c: number): number {
  return c / FIXTURE_EMBED_DIM;
}

function encoderGraph(g: GraphBuilder, input: string, output: string): string {
  const pooled = g.op("AveragePool", [input], { kernel_shape: [16, 16], strides: [16, 16] });
  const w = new Float32Array(FIXTURE_EMBED_DIM * 3);
  const b = new Float32Array(FIXTURE_EMBED_DIM);
  for (let c = 0; c < FIXTURE_EMBED_DIM; c++) {
    b[c] = fixtureEncoderBias(c);
    for (let k = 0; k < 3; k++) w[c * 3 + k] = fixtureEncoderWeight(c, k);
  }
  return g.op(
    "Conv",
    [pooled, g.floats(w, [FIXTURE_EMBED_DIM, 3, 1, 1]), g.floats(b, [FIXTURE_EMBED_DIM])],
    { kernel_shape: [1, 1] },
    [output],
  );
}

/**
 * Disc logits [1, K, 256, 256] (K = radii.length) around `xy` ([1,1,2], model frame, before +0.5),
 * signed by `label` ([1,1] float: 1 keeps, 0 inverts).
 */
function discLogits(g: GraphBuilder, xy: string, label: string, radii: readonly number[]): string {
  const p = g.op("Add", [xy, g.floats([0.5], [])]);
  const one4 = g.ints([1, 1, 1, 1]);
  const px = g.op("Reshape", [g.op("Slice", [p, g.ints([0]), g.ints([1]), g.ints([2])]), one4]);
  const py = g.op("Reshape", [g.op("Slice", [p, g.ints([1]), g.ints([2]), g.ints([2])]), one4]);
  // Low-res cell centres in the 1024 frame: (i + 0.5) * 4.
  const ramp = g.op("Mul", [
    g.op("Range", [g.floats([0.5], []), g.floats([256], []), g.floats([1], [])]),
    g.floats([4], []),
  ]);
  const xs = g.op("Reshape", [ramp, g.ints([1, 1, 1, 256])]);
  const ys = g.op("Reshape", [ramp, g.ints([1, 1, 256, 1])]);
  const dx = g.op("Sub", [xs, px]);
  const dy = g.op("Sub", [ys, py]);
  const d2 = g.op("Add", [g.op("Mul", [dx, dx]), g.op("Mul", [dy, dy])]);
  const r2 = g.floats(
    radii.map((r) => r * r),
    [1, radii.length, 1, 1],
  );
  const logits = g.op("Div", [g.op("Sub", [r2, d2]), g.floats([FIXTURE_LOGIT_SCALE], [])]);
  const sign = g.op("Reshape", [
    g.op("Sub", [g.op("Mul", [label, g.floats([2], [])]), g.floats([1], [])]),
    one4,
  ]);
  return g.op("Mul", [logits, sign]);
}

/** Official SamOnnxModel decoder (return_single_mask=false gives K=4; true gives K=1). */
function officialDecoder(withMasksOutput: boolean, numMasks: 1 | 4): Uint8Array {
  const g = new GraphBuilder();
  g.input("image_embeddings", "float32", [1, FIXTURE_EMBED_DIM, 64, 64]);
  g.input("point_coords", "float32", [1, "num_points", 2]);
  g.input("point_labels", "float32", [1, "num_points"]);
  g.input("mask_input", "float32", [1, 1, 256, 256]);
  g.input("has_mask_input", "float32", [1]);
  g.input("orig_im_size", "float32", [2]);
  const radii = numMasks === 4 ? FIXTURE_RADII : [FIXTURE_RADII[2]];
  const base = numMasks === 4 ? FIXTURE_SCORES : [FIXTURE_SCORES[2]];
  const first = g.op("Slice", ["point_coords", g.ints([0]), g.ints([1]), g.ints([1])]);
  const label = g.op("Slice", ["point_labels", g.ints([0]), g.ints([1]), g.ints([1])]);
  const disc = discLogits(g, first, label, radii);
  // Touch the embedding (0 x its mean) so the input is really consumed.
  const embMean = g.op("ReduceMean", ["image_embeddings"], { keepdims: 0 });
  const withEmb = g.op("Add", [disc, g.op("Mul", [embMean, g.floats([0], [])])]);
  const hasMask = g.op("Reshape", ["has_mask_input", g.ints([1, 1, 1, 1])]);
  g.op("Add", [withEmb, g.op("Mul", ["mask_input", hasMask])], undefined, ["low_res_masks"]);
  const isPad = g.op("Cast", [g.op("Equal", ["point_labels", g.floats([-1], [])])], { to: 1 });
  const padCount = g.op("ReduceSum", [isPad, g.ints([1])], { keepdims: 1 });
  g.op("Add", [g.floats(base, [1, base.length]), g.op("Mul", [padCount, g.floats([0.01], [])])], undefined, [
    "iou_predictions",
  ]);
  if (withMasksOutput) {
    // SamOnnxModel.mask_postprocessing, op for op: upsample, crop the unpadded part, resize to orig.
    const up = g.op("Resize", ["low_res_masks", "", "", g.ints([1, numMasks, 1024, 1024])], {
      mode: "linear",
      coordinate_transformation_mode: "pytorch_half_pixel",
    });
    const longest = g.op("ReduceMax", ["orig_im_size"], { keepdims: 0 });
    const scale = g.op("Div", [g.floats([1024], []), longest]);
    const pre = g.op("Floor", [g.op("Add", [g.op("Mul", ["orig_im_size", scale]), g.floats([0.5], [])])]);
    const preInt = g.op("Cast", [pre], { to: 7 });
    const crop = g.op("Slice", [up, g.ints([0, 0]), preInt, g.ints([2, 3])]);
    const sizes = g.op("Concat", [g.ints([1, numMasks]), g.op("Cast", ["orig_im_size"], { to: 7 })], {
      axis: 0,
    });
    g.op(
      "Resize",
      [crop, "", "", sizes],
      { mode: "linear", coordinate_transformation_mode: "pytorch_half_pixel" },
      ["masks"],
    );
    g.output("masks", "float32", [1, numMasks, "H", "W"]);
  }
  g.output("iou_predictions", "float32", [1, numMasks]);
  g.output("low_res_masks", "float32", [1, numMasks, 256, 256]);
  return g.toBytes("sam_decoder_fixture");
}

/** transformers.js prompt_encoder_mask_decoder: 3 candidates, int64 labels, no padding point. */
function splitDecoder(): Uint8Array {
  const g = new GraphBuilder();
  g.input("input_points", "float32", ["batch_size", "point_batch_size", "nb_points_per_image", 2]);
  g.input("input_labels", "int64", ["batch_size", "point_batch_size", "nb_points_per_image"]);
  g.input("image_embeddings", "float32", ["batch_size", FIXTURE_EMBED_DIM, 64, 64]);
  g.input("image_positional_embeddings", "float32", ["batch_size", FIXTURE_EMBED_DIM, 64, 64]);
  const first = g.op("Reshape", [
    g.op("Slice", ["input_points", g.ints([0]), g.ints([1]), g.ints([2])]),
    g.ints([1, 1, 2]),
  ]);
  const label = g.op("Reshape", [
    g.op("Cast", [g.op("Slice", ["input_labels", g.ints([0]), g.ints([1]), g.ints([2])])], { to: 1 }),
    g.ints([1, 1]),
  ]);
  const radii = FIXTURE_RADII.slice(1);
  const disc = discLogits(g, first, label, radii);
  g.op("Unsqueeze", [disc, g.ints([0])], undefined, ["pred_masks"]);
  // Positional embeddings are the encoder's embeddings x 0.5: a swapped feed moves the scores.
  const diff = g.op("Sub", [
    "image_embeddings",
    g.op("Mul", ["image_positional_embeddings", g.floats([2], [])]),
  ]);
  const check = g.op("ReduceMean", [diff], { keepdims: 0 });
  const scores = g.floats(FIXTURE_SCORES.slice(1), [1, 1, 3]);
  g.op("Add", [scores, g.op("Mul", [check, g.floats([0.001], [])])], undefined, ["iou_scores"]);
  g.output("iou_scores", "float32", ["batch_size", "point_batch_size", 3]);
  g.output("pred_masks", "float32", ["batch_size", "point_batch_size", 3, 256, 256]);
  return g.toBytes("sam_split_decoder_fixture");
}

function officialEncoder(): Uint8Array {
  const g = new GraphBuilder();
  g.input("image", "float32", [1, 3, 1024, 1024]);
  encoderGraph(g, "image", "image_embeddings");
  g.output("image_embeddings", "float32", [1, FIXTURE_EMBED_DIM, 64, 64]);
  return g.toBytes("sam_encoder_fixture");
}

function splitEncoder(): Uint8Array {
  const g = new GraphBuilder();
  g.input("pixel_values", "float32", ["batch_size", 3, 1024, 1024]);
  const emb = encoderGraph(g, "pixel_values", "image_embeddings");
  g.op("Mul", [emb, g.floats([0.5], [])], undefined, ["image_positional_embeddings"]);
  g.output("image_embeddings", "float32", ["batch_size", FIXTURE_EMBED_DIM, 64, 64]);
  g.output("image_positional_embeddings", "float32", ["batch_size", FIXTURE_EMBED_DIM, 64, 64]);
  return g.toBytes("sam_split_encoder_fixture");
}

export interface SamFixtureOptions {
  /** "sam": official encoder + SamOnnxModel decoder; "sam-split": transformers.js-style pair. */
  kind?: "sam" | "sam-split";
  /** Official decoder only: include the in-graph `masks` output. @default true */
  withMasksOutput?: boolean;
  /** Official decoder only: 4 candidates (return_single_mask=false) or 1. @default 4 */
  numMasks?: 1 | 4;
  /** Edit the manifest before it is written (to build deliberately wrong ones). */
  editManifest?: (manifest: Record<string, unknown>) => void;
}

const f32 = (name: string, shape: (number | string)[]) => ({ name, dtype: "float32", shape });

/**
 * The manifest of an official-export SAM pair (encoder.onnx + decoder.onnx beside it): the tensor
 * names, dtypes and shapes of Meta's export script, so every generated model is checked against
 * the same contract as a real one.
 */
export function officialSamManifest(o: {
  id: string;
  encoderSha256: string;
  decoderSha256: string;
  embeddingDim: number;
  numMasks: number;
  withMasks: boolean;
}): Record<string, unknown> {
  const emb = [1, o.embeddingDim, 64, 64];
  return {
    schemaVersion: 1,
    id: o.id,
    version: "1",
    kind: "sam",
    files: [
      { path: "encoder.onnx", sha256: o.encoderSha256 },
      { path: "decoder.onnx", sha256: o.decoderSha256 },
    ],
    encoder: {
      file: "encoder.onnx",
      inputs: { image: f32("image", [1, 3, 1024, 1024]) },
      outputs: { embeddings: f32("image_embeddings", emb) },
    },
    decoder: {
      file: "decoder.onnx",
      inputs: {
        imageEmbeddings: f32("image_embeddings", emb),
        pointCoords: f32("point_coords", [1, "N", 2]),
        pointLabels: f32("point_labels", [1, "N"]),
        maskInput: f32("mask_input", [1, 1, 256, 256]),
        hasMaskInput: f32("has_mask_input", [1]),
        origImSize: f32("orig_im_size", [2]),
      },
      outputs: {
        ...(o.withMasks ? { masks: f32("masks", [1, o.numMasks, -1, -1]) } : {}),
        scores: f32("iou_predictions", [1, o.numMasks]),
        lowResMasks: f32("low_res_masks", [1, o.numMasks, 256, 256]),
      },
    },
  };
}

/** Writes encoder.onnx, decoder.onnx and manifest.json into `dir`; returns the manifest object. */
export async function writeSamFixture(
  dir: string,
  options: SamFixtureOptions = {},
): Promise<Record<string, unknown>> {
  const kind = options.kind ?? "sam";
  const withMasks = options.withMasksOutput ?? true;
  const numMasks = options.numMasks ?? 4;
  await mkdir(dir, { recursive: true });
  const encoder = kind === "sam" ? officialEncoder() : splitEncoder();
  const decoder = kind === "sam" ? officialDecoder(withMasks, numMasks) : splitDecoder();
  await writeFile(join(dir, "encoder.onnx"), encoder);
  await writeFile(join(dir, "decoder.onnx"), decoder);
  const manifest: Record<string, unknown> =
    kind === "sam"
      ? officialSamManifest({
          id: "sam-fixture",
          encoderSha256: sha256Hex(encoder),
          decoderSha256: sha256Hex(decoder),
          embeddingDim: FIXTURE_EMBED_DIM,
          numMasks,
          withMasks,
        })
      : {
          schemaVersion: 1,
          id: "sam-split-fixture",
          version: "1",
          kind: "sam-split",
          files: [
            { path: "encoder.onnx", sha256: sha256Hex(encoder) },
            { path: "decoder.onnx", sha256: sha256Hex(decoder) },
          ],
          encoder: {
            file: "encoder.onnx",
            inputs: { image: f32("pixel_values", ["batch", 3, 1024, 1024]) },
            outputs: {
              embeddings: f32("image_embeddings", ["batch", FIXTURE_EMBED_DIM, 64, 64]),
              positionalEmbeddings: f32("image_positional_embeddings", ["batch", FIXTURE_EMBED_DIM, 64, 64]),
            },
          },
          decoder: {
            file: "decoder.onnx",
            inputs: {
              points: f32("input_points", ["batch", "point_batch", "N", 2]),
              labels: { name: "input_labels", dtype: "int64", shape: ["batch", "point_batch", "N"] },
              imageEmbeddings: f32("image_embeddings", ["batch", FIXTURE_EMBED_DIM, 64, 64]),
              positionalEmbeddings: f32("image_positional_embeddings", ["batch", FIXTURE_EMBED_DIM, 64, 64]),
            },
            outputs: {
              scores: f32("iou_scores", ["batch", "point_batch", 3]),
              lowResMasks: f32("pred_masks", ["batch", "point_batch", 3, 256, 256]),
            },
          },
        };
  options.editManifest?.(manifest);
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return manifest;
}
