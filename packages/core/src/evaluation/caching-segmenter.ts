/**
 * Encoding is by far the most expensive call (ALGORITHM.md, Inference step 1), and an evaluation asks
 * for the same image's embedding once per method. This wrapper remembers embeddings per image object,
 * so every method evaluated on one loaded image shares one encode; the cache lets go of an embedding
 * as soon as its image is garbage-collected.
 */
import type { RgbImage } from "../image/types.ts";
import type { Embedding, PromptableSegmenter } from "../models/ports.ts";

/** A segmenter that encodes each image object once, plus a count of real encodes (for reports). */
export interface CachingSegmenter extends PromptableSegmenter {
  /** How many times the wrapped segmenter actually encoded. */
  readonly encodes: number;
}

/**
 * Wraps `segmenter` so that `encode(image)` with the same image object returns the same embedding.
 * @example
 * const shared = cachingSegmenter(createClassicSegmenter());
 * await shared.encode(img); await shared.encode(img); shared.encodes; // 1
 */
export function cachingSegmenter(segmenter: PromptableSegmenter): CachingSegmenter {
  const cache = new WeakMap<RgbImage, Promise<Embedding>>();
  let encodes = 0;
  const wrapped: CachingSegmenter = {
    info: segmenter.info,
    get encodes() {
      return encodes;
    },
    encode(image) {
      let pending = cache.get(image);
      if (!pending) {
        encodes++;
        pending = segmenter.encode(image);
        // A failed encode is not cached: the next call retries.
        pending.catch(() => cache.delete(image));
        cache.set(image, pending);
      }
      return pending;
    },
    decode: (embedding, prompt) => segmenter.decode(embedding, prompt),
    ...(segmenter.decodeBatch
      ? { decodeBatch: (embedding, prompts) => segmenter.decodeBatch!(embedding, prompts) }
      : {}),
    ...(segmenter.dispose ? { dispose: () => segmenter.dispose!() } : {}),
  };
  return wrapped;
}
