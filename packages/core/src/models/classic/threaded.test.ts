import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../../errors.ts";
import { createClassicSegmenter } from "./segmenter.ts";
import { discsOnTexture } from "./test-images.ts";
import { createThreadedClassicSegmenter } from "./threaded.ts";

describe("classic segmenter with the encoder on a thread", () => {
  const { image } = discsOnTexture(120, 90, [{ cx: 40, cy: 45, r: 20 }]);

  it("returns the in-process encoder's embedding and decodes it the same way", async () => {
    const threaded = createThreadedClassicSegmenter();
    try {
      const plain = createClassicSegmenter();
      const [a, b] = await Promise.all([threaded.encode(image), plain.encode(image)]);
      expect(threaded.encodeRunsOn).toBe("thread");
      expect(a.data).toEqual(b.data);
      expect(a.backendState).toEqual(b.backendState);
      const prompt = { points: [{ x: 40, y: 45 }], labels: [1 as const] };
      const [da, db] = await Promise.all([threaded.decode(a, prompt), plain.decode(b, prompt)]);
      expect(da.scores).toEqual(db.scores);
      expect(da.lowResLogits[0]).toEqual(db.lowResLogits[0]);
    } finally {
      await threaded.dispose();
    }
  });

  it("keeps the event loop free while it encodes", async () => {
    const threaded = createThreadedClassicSegmenter();
    try {
      await threaded.encode(image); // start the thread
      const big = discsOnTexture(640, 480, [{ cx: 200, cy: 200, r: 80 }]).image;
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      await threaded.encode(big);
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(3);
    } finally {
      await threaded.dispose();
    }
  });

  it("refuses an empty image with IMAGE_EMPTY from the thread", async () => {
    const threaded = createThreadedClassicSegmenter();
    try {
      const err = await threaded.encode({ width: 0, height: 0, data: new Uint8Array(0) }).catch((e) => e);
      expect(isAlignSamError(err, "IMAGE_EMPTY")).toBe(true);
    } finally {
      await threaded.dispose();
    }
  });

  it("encodes in process once disposed", async () => {
    const threaded = createThreadedClassicSegmenter();
    await threaded.dispose();
    const e = await threaded.encode(image);
    expect(threaded.encodeRunsOn).toBe("in-process");
    expect(e.width).toBe(64);
  });
});
