/**
 * The classic backend as a PromptableSegmenter: weight-free, CPU-only, deterministic, the project's
 * embedded default that trains and runs anywhere.
 */
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import type { DecodePrompt, DecodeResult, Embedding, PromptableSegmenter, SegmenterInfo } from "../ports.ts";
import { decodeClassic } from "./decode.ts";
import { encodeClassic } from "./encode.ts";
import { FEATURE_NAMES } from "./features.ts";
import {
  CLASSIC_EMBEDDING_SIZE,
  CLASSIC_LOW_RES_SIZE,
  CLASSIC_MODEL_ID,
  type ClassicOptions,
  resolveClassicOptions,
} from "./options.ts";

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
  if (resolved.encoder !== "handcrafted") {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `the "${resolved.encoder}" encoder loads a CenterNet model: open it with openClassicSegmenter (models/centernet), not createClassicSegmenter`,
      { valid: ["handcrafted"] },
    );
  }
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
