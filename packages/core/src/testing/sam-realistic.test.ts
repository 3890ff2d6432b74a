import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxSamSegmenter } from "../models/onnx-sam/index.ts";
import { writeRealisticSam } from "./sam-realistic.ts";

describe("realistic-size SAM for benchmarks", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads through the official-export adapter and decodes SAM-shaped results", async () => {
    dir = await mkdtemp(join(tmpdir(), "alignsam-sam-realistic-"));
    const info = await writeRealisticSam(dir, { encoderBlocks: 0 });
    expect(info.decoderParams).toBeGreaterThan(3e6);
    const sam = await createOnnxSamSegmenter({ manifestUri: info.manifestPath, warmUp: false });
    try {
      const image = {
        width: 96,
        height: 64,
        data: new Uint8Array(96 * 64 * 3).map((_, i) => (i * 31) % 256),
      };
      const e = await sam.encode(image);
      expect([e.channels, e.height, e.width]).toEqual([256, 64, 64]);
      const out = await sam.decode(e, {
        points: [
          { x: 20, y: 30 },
          { x: 70, y: 10 },
        ],
        labels: [1, 0],
      });
      expect(out.masks).toHaveLength(3);
      expect(out.masks[0].data).toHaveLength(96 * 64);
      expect(out.lowResLogits[0]).toHaveLength(256 * 256);
      for (const s of out.scores) expect(s).toBeGreaterThan(0);
      // The decoder reads its prompt: moving the click changes the logits.
      const moved = await sam.decode(e, { points: [{ x: 80, y: 50 }], labels: [1] });
      expect(moved.lowResLogits[0]).not.toEqual(out.lowResLogits[0]);
    } finally {
      await sam.dispose();
    }
  });
});
