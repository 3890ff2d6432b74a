// Baseline copy of packages/core/src/models/classic/segmenter.ts as of commit 6c2edd3 (before the
// performance work), kept callable so bench/run.ts can time old and new paths in one run and check
// they agree. Not used by the product.
/**
 * The classic backend as a PromptableSegmenter: weight-free, CPU-only, deterministic, the project's
 * embedded default that trains and runs anywhere.
 */
import type { RgbImage } from "../../src/image/types.ts";
import {
  CLASSIC_EMBEDDING_SIZE,
  CLASSIC_LOW_RES_SIZE,
  CLASSIC_MODEL_ID,
  type ClassicOptions,
  resolveClassicOptions,
} from "../../src/models/classic/options.ts";
import type {
  DecodePrompt,
  DecodeResult,
  Embedding,
  PromptableSegmenter,
  SegmenterInfo,
} from "../../src/models/ports.ts";
import { decodeClassic } from "./decode.ts";
import { encodeClassic } from "./encode.ts";
import { FEATURE_NAMES } from "./features.ts";

/**
 * Create the weight-free classic segmenter. Options are validated up front (INVALID_ARGUMENT).
 *
 * @example
 * const sam = createClassicSegmenter();
 * const emb = await sam.encode(image);
 * const { masks, scores } = await sam.decode(emb, { points: [{ x: 120, y: 80 }], labels: [1] });
 */
export function createClassicSegmenter(options: ClassicOptions = {}): PromptableSegmenter {
  const resolved = resolveClassicOptions(options);
  const info: SegmenterInfo = {
    backend: "classic",
    modelId: CLASSIC_MODEL_ID,
    embeddingShape: [FEATURE_NAMES.length, CLASSIC_EMBEDDING_SIZE, CLASSIC_EMBEDDING_SIZE],
    lowResSize: CLASSIC_LOW_RES_SIZE,
  };
  return {
    info,
    async encode(image: RgbImage): Promise<Embedding> {
      return encodeClassic(image, resolved);
    },
    async decode(embedding: Embedding, prompt: DecodePrompt): Promise<DecodeResult> {
      return decodeClassic(embedding, prompt, resolved);
    },
    async decodeBatch(embedding: Embedding, prompts: readonly DecodePrompt[]): Promise<DecodeResult[]> {
      return prompts.map((prompt) => decodeClassic(embedding, prompt, resolved));
    },
  };
}
