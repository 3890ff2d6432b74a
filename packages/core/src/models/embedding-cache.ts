/**
 * An in-memory LRU of image embeddings, bounded by bytes. Encoding is by far SAM's most expensive
 * call and the agent decodes T times per image, training revisits images every episode, and a
 * worker sees the same image across jobs: key by what was encoded (pixels) and by which model.
 */
import { createHash } from "node:crypto";
import type { RgbImage } from "../image/types.ts";
import type { DecodePrompt, DecodeResult, Embedding, PromptableSegmenter } from "./ports.ts";

export interface EmbeddingCacheOptions {
  /** Upper bound on the cached embeddings' bytes. @default 512 MiB (about 128 SAM ViT embeddings) */
  maxBytes?: number;
}

export interface EmbeddingCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
}

/** Cache key of an image's pixels under one model (the same pixels under another model differ). */
export function imageCacheKey(image: RgbImage, modelId: string): string {
  return createHash("sha256")
    .update(`${modelId}\0${image.width}x${image.height}\0`)
    .update(image.data)
    .digest("hex");
}

/** Cache key of encoded image bytes (a JPEG as uploaded), for callers that key before decoding. */
export function bytesCacheKey(bytes: Uint8Array, modelId: string): string {
  return createHash("sha256").update(`${modelId}\0bytes\0`).update(bytes).digest("hex");
}

/** Bytes of the typed arrays reachable from `value` (objects and arrays, a few levels deep). */
function typedArrayBytes(value: unknown, depth: number, seen: Set<ArrayBufferLike>): number {
  if (ArrayBuffer.isView(value)) {
    if (seen.has(value.buffer)) return 0;
    seen.add(value.buffer);
    return value.buffer.byteLength;
  }
  if (depth <= 0 || typeof value !== "object" || value === null) return 0;
  let total = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    total += typedArrayBytes(v, depth - 1, seen);
  }
  return total;
}

/**
 * What an embedding costs the cache: its tensor, the typed arrays of its backend state and a fixed
 * allowance for the objects. The state can outweigh the tensor many times (the classic backend's
 * superpixel labels, graph and pixel blend are ~3 MB for a 344 kB tensor), so a bound that counted
 * the tensor alone would let the cache hold ten times its budget.
 */
export function embeddingBytes(e: Embedding): number {
  const seen = new Set<ArrayBufferLike>([e.data.buffer]);
  return e.data.byteLength + typedArrayBytes(e.backendState, 4, seen) + 1024;
}

export class EmbeddingCache {
  readonly maxBytes: number;
  private readonly entries = new Map<string, { embedding: Embedding; bytes: number }>();
  private readonly inFlight = new Map<string, Promise<Embedding>>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(options: EmbeddingCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
    if (!(this.maxBytes >= 0)) throw new RangeError(`maxBytes must be >= 0, got ${options.maxBytes}`);
  }

  /** The cached embedding (now the most recently used), or undefined; counts a hit or a miss. */
  get(key: string): Embedding | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.embedding;
  }

  /** Stores an embedding, evicting the least recently used ones; one larger than the bound is not kept. */
  set(key: string, embedding: Embedding): void {
    const bytes = embeddingBytes(embedding);
    this.delete(key);
    if (bytes > this.maxBytes) return;
    while (this.bytes + bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
      this.evictions++;
    }
    this.entries.set(key, { embedding, bytes });
    this.bytes += bytes;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /**
   * The cached embedding, or `compute()`'s, stored. Concurrent calls for one key share a single
   * computation (two jobs on one image encode it once); a failed computation is not cached.
   */
  async getOrCompute(key: string, compute: () => Promise<Embedding>): Promise<Embedding> {
    const cached = this.get(key);
    if (cached) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = compute().then(
      (e) => {
        this.inFlight.delete(key);
        this.set(key, e);
        return e;
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, promise);
    return promise;
  }

  stats(): EmbeddingCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      entries: this.entries.size,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
    };
  }
}

/**
 * A segmenter whose encode goes through the cache (keyed by pixels and the segmenter's model id);
 * decode and the rest pass straight through.
 * @example
 * const sam = withEmbeddingCache(await createOnnxSamSegmenter({ manifestUri }), new EmbeddingCache());
 */
export function withEmbeddingCache(inner: PromptableSegmenter, cache: EmbeddingCache): PromptableSegmenter {
  const decodeBatch = inner.decodeBatch?.bind(inner);
  const dispose = inner.dispose?.bind(inner);
  return {
    get info() {
      return inner.info;
    },
    encode: (image: RgbImage) =>
      cache.getOrCompute(imageCacheKey(image, inner.info.modelId), () => inner.encode(image)),
    decode: (embedding: Embedding, prompt: DecodePrompt): Promise<DecodeResult> =>
      inner.decode(embedding, prompt),
    ...(decodeBatch ? { decodeBatch } : {}),
    ...(dispose ? { dispose } : {}),
  };
}
