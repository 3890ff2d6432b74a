import { describe, expect, it } from "vitest";
import type { RgbImage } from "../image/types.ts";
import { EmbeddingCache, embeddingBytes, imageCacheKey, withEmbeddingCache } from "./embedding-cache.ts";
import type { Embedding, PromptableSegmenter } from "./ports.ts";

function embedding(floats: number, tag = 0): Embedding {
  return {
    modelId: "m",
    channels: 1,
    height: 1,
    width: floats,
    data: new Float32Array(floats).fill(tag),
    imageWidth: 1,
    imageHeight: 1,
  };
}

function image(seed: number, w = 8, h = 4): RgbImage {
  return { width: w, height: h, data: new Uint8Array(w * h * 3).map((_, i) => (i * seed) % 256) };
}

/** A segmenter that counts encodes; its embedding is the mean pixel, so results are checkable. */
function countingSegmenter(modelId = "count@1") {
  let encodes = 0;
  const seg: PromptableSegmenter = {
    info: { backend: "test", modelId, embeddingShape: [1, 1, 1], lowResSize: 1 },
    async encode(img) {
      encodes++;
      await new Promise((r) => setTimeout(r, 5));
      const mean = img.data.reduce((a, v) => a + v, 0) / img.data.length;
      return { ...embedding(1, mean), modelId, imageWidth: img.width, imageHeight: img.height };
    },
    async decode() {
      return { masks: [], scores: [], lowResLogits: [], lowResSize: 1 };
    },
  };
  return { seg, encodes: () => encodes };
}

describe("EmbeddingCache", () => {
  it("evicts the least recently used entries to stay within its byte bound", () => {
    const per = embeddingBytes(embedding(256));
    const cache = new EmbeddingCache({ maxBytes: per * 2 });
    cache.set("a", embedding(256, 1));
    cache.set("b", embedding(256, 2));
    expect(cache.get("a")?.data[0]).toBe(1); // a is now the most recent
    cache.set("c", embedding(256, 3)); // evicts b
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("c")?.data[0]).toBe(3);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, evictions: 1, entries: 2, bytes: per * 2 });
  });

  it("does not keep an embedding larger than the whole bound", () => {
    const cache = new EmbeddingCache({ maxBytes: 100 });
    cache.set("big", embedding(1000));
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it("replacing a key does not count its bytes twice", () => {
    const cache = new EmbeddingCache();
    cache.set("a", embedding(10));
    cache.set("a", embedding(10));
    expect(cache.stats().bytes).toBe(embeddingBytes(embedding(10)));
  });

  it("keys images by pixels, size and model", () => {
    expect(imageCacheKey(image(3), "m1")).toBe(imageCacheKey(image(3), "m1"));
    expect(imageCacheKey(image(3), "m1")).not.toBe(imageCacheKey(image(5), "m1"));
    expect(imageCacheKey(image(3), "m1")).not.toBe(imageCacheKey(image(3), "m2"));
    expect(imageCacheKey(image(3, 8, 4), "m")).not.toBe(imageCacheKey(image(3, 4, 8), "m"));
  });
});

describe("withEmbeddingCache", () => {
  it("encodes each distinct image once, sharing concurrent requests", async () => {
    const { seg, encodes } = countingSegmenter();
    const cache = new EmbeddingCache();
    const cached = withEmbeddingCache(seg, cache);
    const [a, b] = await Promise.all([cached.encode(image(3)), cached.encode(image(3))]);
    expect(a).toBe(b);
    expect(encodes()).toBe(1);
    const c = await cached.encode(image(7));
    expect(c.data[0]).not.toBe(a.data[0]);
    await cached.encode(image(3));
    expect(encodes()).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, entries: 2 });
    expect(cached.info.modelId).toBe("count@1");
  });

  it("does not cache a failed encode", async () => {
    const { seg, encodes } = countingSegmenter();
    let fail = true;
    const flaky: PromptableSegmenter = {
      ...seg,
      info: seg.info,
      encode: async (img) => {
        if (fail) {
          fail = false;
          throw new Error("transient");
        }
        return seg.encode(img);
      },
    };
    const cached = withEmbeddingCache(flaky, new EmbeddingCache());
    await expect(cached.encode(image(2))).rejects.toThrow("transient");
    await cached.encode(image(2));
    expect(encodes()).toBe(1);
  });
});

describe("embeddingBytes", () => {
  it("counts the typed arrays of the backend state, each buffer once", () => {
    const shared = new Int32Array(1000);
    const withState: Embedding = {
      ...embedding(10),
      backendState: {
        labels: shared,
        graph: { offsets: new Int32Array(50), again: shared },
        list: [new Uint8Array(7)],
      },
    };
    expect(embeddingBytes(withState)).toBe(embeddingBytes(embedding(10)) + 4000 + 200 + 7);
  });
});
