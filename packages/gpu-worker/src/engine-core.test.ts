import { defaultTaskRegistry } from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { createClassicSegmenter, type PromptableSegmenter } from "./core.ts";
import { createCoreEngine, withEventLoopTurns } from "./engine-core.ts";
import { resolveTaskDefinition } from "./policy-store.ts";

/** A segmenter that records, at each call, whether a callback queued just before it had run. */
function probe(flag: { fired: boolean }, seen: boolean[]): PromptableSegmenter {
  return {
    info: { backend: "test", modelId: "probe@1", embeddingShape: [1, 1, 1], lowResSize: 1 },
    async encode(image) {
      seen.push(flag.fired);
      return {
        modelId: "probe@1",
        channels: 1,
        height: 1,
        width: 1,
        data: new Float32Array(1),
        imageWidth: image.width,
        imageHeight: image.height,
      };
    },
    async decode() {
      seen.push(flag.fired);
      return { masks: [], scores: [], lowResLogits: [], lowResSize: 1 };
    },
  };
}

async function callsSee(wrap: boolean): Promise<boolean[]> {
  const seen: boolean[] = [];
  const flag = { fired: false };
  const inner = probe(flag, seen);
  const seg = wrap ? withEventLoopTurns(inner) : inner;
  const image = { width: 1, height: 1, data: new Uint8Array(3) };
  setImmediate(() => {
    flag.fired = true;
  });
  const embedding = await seg.encode(image);
  flag.fired = false;
  setImmediate(() => {
    flag.fired = true;
  });
  await seg.decode(embedding, { points: [], labels: [] });
  return seen;
}

describe("withEventLoopTurns", () => {
  it("lets queued event-loop callbacks (a heartbeat) run before every encode and decode", async () => {
    expect(await callsSee(true)).toEqual([true, true]);
  });

  it("is needed: the bare segmenter runs before any of them", async () => {
    expect(await callsSee(false)).toEqual([false, false]);
  });

  it("passes the segmenter's identity through", () => {
    const seg = withEventLoopTurns(probe({ fired: false }, []));
    expect(seg.info.modelId).toBe("probe@1");
    expect(seg.decodeBatch).toBeUndefined();
  });
});

describe("createCoreEngine's embedding cache", () => {
  /** The classic segmenter with its encoder calls counted. */
  function countingClassic(counter: { encodes: number }): PromptableSegmenter {
    const inner = createClassicSegmenter();
    return {
      get info() {
        return inner.info;
      },
      encode(image) {
        counter.encodes += 1;
        return inner.encode(image);
      },
      decode: (embedding, prompt) => inner.decode(embedding, prompt),
    };
  }

  async function segmentTwice(embeddingCacheBytes: number) {
    const counter = { encodes: 0 };
    const engine = createCoreEngine({ segmenter: countingClassic(counter), embeddingCacheBytes });
    const image = discImage(96, 72);
    const request = {
      task: resolveTaskDefinition(defaultTaskRegistry, "saliency", null),
      image,
      policy: null,
      greedy: true,
      seed: 0,
    };
    const first = await engine.segment(request);
    const second = await engine.segment(request);
    return { counter, first, second };
  }

  it("encodes an image once when the same pixels come back, with identical results", async () => {
    const { counter, first, second } = await segmentTwice(64 * 1024 * 1024);
    expect(counter.encodes).toBe(1);
    expect(Buffer.from(second.mask.data).equals(Buffer.from(first.mask.data))).toBe(true);
  });

  it("encodes every time with the cache off", async () => {
    const { counter } = await segmentTwice(0);
    expect(counter.encodes).toBe(2);
  });
});

/** A bright disc on a darker textured background, so the segmenter has something to find. */
function discImage(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2;
      const v = inside ? 220 : 40 + ((x * 7 + y * 13) % 30);
      data.set([v, inside ? 200 : v, inside ? 60 : v], (y * width + x) * 3);
    }
  }
  return { width, height, data };
}
