/** What an ONNX SAM embedding carries besides the embedding itself (Embedding.backendState). */
import { AlignSamError } from "../../errors.ts";
import type { Embedding } from "../ports.ts";
import type { LetterboxGeometry } from "./letterbox.ts";

export interface OnnxSamState {
  readonly backend: "onnx-sam";
  readonly geometry: LetterboxGeometry;
  /** transformers.js-style exports: image_positional_embeddings (image-independent, shared). */
  readonly positional?: Float32Array;
}

/** The state of an embedding this segmenter made; refuses another model's embedding. */
export function samStateOf(embedding: Embedding, modelId: string): OnnxSamState {
  const state = embedding.backendState as OnnxSamState | undefined;
  if (embedding.modelId !== modelId || state?.backend !== "onnx-sam") {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `this embedding was made by "${embedding.modelId}", not by "${modelId}"; encode the image with this segmenter`,
    );
  }
  return state;
}
