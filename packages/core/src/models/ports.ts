/**
 * The two frozen foundation-model ports. The agent, the SRM and the pipeline import only this file;
 * nothing above it knows which backend (ONNX SAM, ONNX CLIP Surgery, classic, ...) runs.
 */
import type { Point, PointLabel } from "../geometry/point.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";

// Part of the ports' vocabulary, defined in a leaf module so image/ and mask/ can name a point
// without importing models/.
export type { Point, PointLabel };

/**
 * The image embedding E_I(x): a C x h x w float32 tensor (channel-major, CHW) plus what a backend
 * needs to map coordinates and decode. `backendState` is opaque to everything but the backend that
 * produced it (the classic backend keeps its superpixel graph there, SAM its letterbox geometry).
 */
export interface Embedding {
  /** Id of the model that produced it (backend + model id + version); policies record it. */
  readonly modelId: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** CHW: value (c, y, x) at (c * height + y) * width + x. */
  readonly data: Float32Array;
  /** Size of the image that was encoded. */
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly backendState?: unknown;
}

export interface DecodePrompt {
  readonly points: readonly Point[];
  readonly labels: readonly PointLabel[];
  /** Low-res logits of a previous decode (lowResSize x lowResSize) for iterative refinement. */
  readonly maskInput?: Float32Array;
}

export interface DecodeResult {
  /** Candidate masks at the original image size (SAM: 3 with multimask output). */
  readonly masks: readonly BinaryMask[];
  /** Predicted quality per candidate (SAM's iou_predictions). */
  readonly scores: readonly number[];
  /** Low-res logits per candidate, lowResSize x lowResSize each, row-major. */
  readonly lowResLogits: readonly Float32Array[];
  readonly lowResSize: number;
}

export interface SegmenterInfo {
  /** "classic", "onnx-sam", ... */
  readonly backend: string;
  readonly modelId: string;
  readonly embeddingShape: readonly [channels: number, height: number, width: number];
  readonly lowResSize: number;
}

export interface PromptableSegmenter {
  readonly info: SegmenterInfo;
  encode(image: RgbImage): Promise<Embedding>;
  decode(embedding: Embedding, prompt: DecodePrompt): Promise<DecodeResult>;
  /** Several prompts over one embedding in one call, where the backend can batch. */
  decodeBatch?(embedding: Embedding, prompts: readonly DecodePrompt[]): Promise<DecodeResult[]>;
  dispose?(): Promise<void>;
}

/** A similarity map in [0, 1] at the requested grid size, row-major. */
export interface SimilarityMap {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface VisionLanguagePriorInfo {
  readonly backend: string;
  readonly modelId: string;
  /** Texts it can answer; undefined means open vocabulary. */
  readonly vocabulary?: readonly string[];
}

export interface VisionLanguagePrior {
  readonly info: VisionLanguagePriorInfo;
  /** M_c: how much each grid position matches the texts (prompt-ensembled), resized to `grid`. */
  similarity(
    image: RgbImage,
    texts: readonly string[],
    grid: { width: number; height: number },
  ): Promise<SimilarityMap>;
  dispose?(): Promise<void>;
}
