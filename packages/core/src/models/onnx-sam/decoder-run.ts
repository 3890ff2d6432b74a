/**
 * The two decoder contracts, reduced to one result shape: K candidates of low-res logits, their
 * scores, and (official export only, when present) logits already upscaled to the original size.
 */
import type ort from "onnxruntime-node";
import { AlignSamError } from "../../errors.ts";
import type { SamManifest, SamSplitManifest } from "../manifest/schema.ts";
import { floatOutput, tensorFor } from "../manifest/tensors.ts";
import type { DecodePrompt, Embedding } from "../ports.ts";
import { toModelCoords } from "./letterbox.ts";
import type { OnnxSamState } from "./state.ts";

export interface DecoderRun {
  readonly count: number;
  readonly scores: Float32Array;
  /** count x L x L. */
  readonly lowRes: Float32Array;
  /** count x origH x origW upscaled logits, when the graph computes them. */
  readonly masks?: Float32Array;
}

/** Refuses malformed prompts before they reach ONNX Runtime. */
export function checkPrompt(prompt: DecodePrompt, lowResSize: number): void {
  if (prompt.points.length === 0)
    throw new AlignSamError("INVALID_ARGUMENT", "a SAM prompt needs at least one point");
  if (prompt.points.length !== prompt.labels.length) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `${prompt.points.length} points but ${prompt.labels.length} labels; give one label (0 or 1) per point`,
    );
  }
  for (const l of prompt.labels) {
    if (l !== 0 && l !== 1) throw new AlignSamError("INVALID_ARGUMENT", `point labels are 0 or 1, got ${l}`);
  }
  if (prompt.maskInput && prompt.maskInput.length !== lowResSize * lowResSize) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `maskInput has ${prompt.maskInput.length} values, expected ${lowResSize}x${lowResSize}`,
    );
  }
}

function embeddingDims(e: Embedding): number[] {
  return [1, e.channels, e.height, e.width];
}

/**
 * orig_im_size fed when the graph's `masks` output is not read: the graph still upsamples all four
 * candidates to S x S, but its final resize to the original size (and the copy of 4 x H x W logits
 * out of ORT) shrinks to nothing. orig_im_size feeds nothing else (scores and low-res logits are
 * byte-equal whatever it is; checked on the real export).
 */
const UNREAD_ORIG_IM_SIZE = [1, 1] as const;

/**
 * SamOnnxModel: points in the model frame plus the padding point (0,0) labelled -1 (no box), as in
 * segment_anything's onnx example; mask_input zeros with has_mask_input 0 when none is given.
 * `inGraphMasks`: read the graph's `masks` (all candidates at the original size); otherwise the
 * caller upscales the low-res logits of the candidate it reads (./postprocess.ts, byte-equal).
 */
export async function runOfficialDecoder(
  session: ort.InferenceSession,
  m: SamManifest,
  embedding: Embedding,
  state: OnnxSamState,
  prompt: DecodePrompt,
  inGraphMasks = false,
): Promise<DecoderRun> {
  const { inputs, outputs } = m.decoder;
  const pts = toModelCoords(prompt.points, state.geometry);
  const n = pts.length + 1;
  const coords = new Float32Array(n * 2);
  const labels = new Float32Array(n);
  pts.forEach((p, i) => {
    coords[2 * i] = p.x;
    coords[2 * i + 1] = p.y;
    labels[i] = prompt.labels[i];
  });
  labels[n - 1] = -1;
  const L = m.lowResSize;
  const readMasks = inGraphMasks ? outputs.masks : undefined;
  const feeds: Record<string, ort.Tensor> = {
    [inputs.imageEmbeddings.name]: tensorFor(
      inputs.imageEmbeddings,
      embedding.data,
      embeddingDims(embedding),
    ),
    [inputs.pointCoords.name]: tensorFor(inputs.pointCoords, coords, [1, n, 2]),
    [inputs.pointLabels.name]: tensorFor(inputs.pointLabels, labels, [1, n]),
    [inputs.maskInput.name]: tensorFor(inputs.maskInput, prompt.maskInput ?? new Float32Array(L * L), [
      1,
      1,
      L,
      L,
    ]),
    [inputs.hasMaskInput.name]: tensorFor(inputs.hasMaskInput, [prompt.maskInput ? 1 : 0], [1]),
    [inputs.origImSize.name]: tensorFor(
      inputs.origImSize,
      readMasks ? [state.geometry.origH, state.geometry.origW] : UNREAD_ORIG_IM_SIZE,
      [2],
    ),
  };
  const wanted = [outputs.scores.name, outputs.lowResMasks.name, ...(readMasks ? [readMasks.name] : [])];
  // Outputs are read by name: a graph may list them in any order.
  const result = await session.run(feeds, wanted);
  const scores = floatOutput(result, outputs.scores).data;
  const lowRes = floatOutput(result, outputs.lowResMasks).data;
  const masks = readMasks ? floatOutput(result, readMasks) : undefined;
  if (masks) {
    const [, k, h, w] = masks.dims;
    if (k !== scores.length || h !== state.geometry.origH || w !== state.geometry.origW) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `decoder output '${readMasks?.name}' has shape [${masks.dims.join(",")}], expected [1,${scores.length},${state.geometry.origH},${state.geometry.origW}]`,
      );
    }
  }
  return { count: scores.length, scores, lowRes, masks: masks?.data };
}

/**
 * transformers.js prompt_encoder_mask_decoder: points [1,1,N,2] in the model frame, labels [1,1,N];
 * the model pads internally, and has no mask input (a previous mask is not used).
 */
export async function runSplitDecoder(
  session: ort.InferenceSession,
  m: SamSplitManifest,
  embedding: Embedding,
  state: OnnxSamState,
  prompt: DecodePrompt,
): Promise<DecoderRun> {
  const { inputs, outputs } = m.decoder;
  if (!state.positional) throw new AlignSamError("INVALID_ARGUMENT", "embedding lacks positional embeddings");
  const pts = toModelCoords(prompt.points, state.geometry);
  const n = pts.length;
  const coords = new Float32Array(n * 2);
  pts.forEach((p, i) => {
    coords[2 * i] = p.x;
    coords[2 * i + 1] = p.y;
  });
  const dims = embeddingDims(embedding);
  const feeds: Record<string, ort.Tensor> = {
    [inputs.points.name]: tensorFor(inputs.points, coords, [1, 1, n, 2]),
    [inputs.labels.name]: tensorFor(inputs.labels, prompt.labels, [1, 1, n]),
    [inputs.imageEmbeddings.name]: tensorFor(inputs.imageEmbeddings, embedding.data, dims),
    [inputs.positionalEmbeddings.name]: tensorFor(inputs.positionalEmbeddings, state.positional, dims),
  };
  const result = await session.run(feeds, [outputs.scores.name, outputs.lowResMasks.name]);
  const scores = floatOutput(result, outputs.scores).data;
  const lowRes = floatOutput(result, outputs.lowResMasks).data;
  return { count: scores.length, scores, lowRes };
}
