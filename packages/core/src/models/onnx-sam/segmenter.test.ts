import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import type { BinaryMask } from "../../mask/types.ts";
import {
  FIXTURE_EMBED_DIM,
  FIXTURE_RADII,
  FIXTURE_SCORES,
  fixtureEncoderBias,
  fixtureEncoderWeight,
  writeSamFixture,
} from "../../testing/sam-fixtures.ts";
import { letterboxForSam, letterboxGeometry } from "./letterbox.ts";
import { postprocessLowRes } from "./postprocess.ts";
import { createOnnxSamSegmenter, type OnnxSamSegmenter } from "./segmenter.ts";

let root: string;
const dirs = { sam: "", noMasks: "", single: "", split: "" };
const opened = new Map<string, Promise<OnnxSamSegmenter>>();

/** One segmenter per fixture and mode, shared by the tests (opening one costs a warm-up run). */
function open(
  dir: string,
  multimask: "multi" | "single" | "auto" = "multi",
  inGraphMasks = false,
): Promise<OnnxSamSegmenter> {
  const key = `${dir}|${multimask}|${inGraphMasks}`;
  let s = opened.get(key);
  if (!s) {
    // Only the default segmenter pays for the warm-up run (which it must survive); the rest skip it.
    const warmUp = dir === dirs.sam && multimask === "multi" && !inGraphMasks;
    s = createOnnxSamSegmenter({
      manifestUri: dir,
      multimask,
      warmUp,
      inGraphMasks,
      executionProviders: ["cpu"],
    });
    opened.set(key, s);
  }
  return s;
}

function image(
  width: number,
  height: number,
  fill = (x: number, y: number) => [(x * 7) % 256, (y * 5) % 256, 90],
) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 3);
  }
  return { width, height, data } satisfies RgbImage;
}

const at = (m: BinaryMask, x: number, y: number) => m.data[Math.round(y) * m.width + Math.round(x)];
const area = (m: BinaryMask) => m.data.reduce((a, v) => a + v, 0);

/** The disc the fixture paints, seen in the original frame: centre ~ the click, radius r / scale. */
function expectDisc(m: BinaryMask, cx: number, cy: number, radius: number) {
  expect(at(m, cx, cy)).toBe(1);
  for (const [dx, dy] of [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ]) {
    expect(at(m, cx + dx * radius * 0.85, cy + dy * radius * 0.85)).toBe(1);
    expect(at(m, cx + dx * radius * 1.15, cy + dy * radius * 1.15)).toBe(0);
  }
  expect(Math.abs(area(m) - Math.PI * radius * radius) / (Math.PI * radius * radius)).toBeLessThan(0.05);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "onnx-sam-"));
  dirs.sam = join(root, "sam");
  dirs.noMasks = join(root, "no-masks");
  dirs.single = join(root, "single");
  dirs.split = join(root, "split");
  await writeSamFixture(dirs.sam);
  await writeSamFixture(dirs.noMasks, { withMasksOutput: false });
  await writeSamFixture(dirs.single, { numMasks: 1 });
  await writeSamFixture(dirs.split, { kind: "sam-split" });
});

afterAll(async () => {
  for (const s of opened.values()) await (await s).dispose();
  await rm(root, { recursive: true, force: true });
});

describe("ONNX SAM segmenter (official export contract)", () => {
  it("encodes the letterboxed, normalised image (checked against the fixture's pooling + 1x1 conv)", async () => {
    const sam = await open(dirs.sam);
    const img = image(320, 200);
    const e = await sam.encode(img);
    expect([e.channels, e.height, e.width]).toEqual([FIXTURE_EMBED_DIM, 64, 64]);
    expect(sam.info.embeddingShape).toEqual([FIXTURE_EMBED_DIM, 64, 64]);
    expect([e.imageWidth, e.imageHeight]).toEqual([320, 200]);
    const { tensor } = await letterboxForSam(img);
    for (const [c, y, x] of [
      [0, 0, 0],
      [17, 10, 33],
      [255, 50, 63], // in the letterbox padding (resized height 640 -> 40 rows of cells)
      [100, 63, 5],
    ]) {
      let expected = fixtureEncoderBias(c);
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let dy = 0; dy < 16; dy++) {
          for (let dx = 0; dx < 16; dx++) sum += tensor[k * 1024 * 1024 + (y * 16 + dy) * 1024 + x * 16 + dx];
        }
        expected += fixtureEncoderWeight(c, k) * (sum / 256);
      }
      expect(e.data[(c * 64 + y) * 64 + x]).toBeCloseTo(expected, 3);
    }
  });

  it("returns the three multimask candidates as discs around the click, in original coordinates", async () => {
    const sam = await open(dirs.sam);
    const e = await sam.encode(image(640, 480));
    const r = await sam.decode(e, { points: [{ x: 200, y: 150 }], labels: [1] });
    expect(r.masks).toHaveLength(3);
    expect(r.lowResSize).toBe(256);
    expect(r.lowResLogits.map((l) => l.length)).toEqual([65536, 65536, 65536]);
    // +0.01: the padding point (label -1) was appended.
    r.scores.forEach((s, i) => {
      expect(s).toBeCloseTo(FIXTURE_SCORES[i + 1] + 0.01, 5);
    });
    const scale = 1024 / 640;
    r.masks.forEach((m, i) => {
      expect([m.width, m.height]).toEqual([640, 480]);
      expectDisc(m, 200, 150, FIXTURE_RADII[i + 1] / scale);
    });
  });

  it("maps points through the letterbox of a tall, odd-sized image (no x/y swap, right scale)", async () => {
    const sam = await open(dirs.sam);
    const e = await sam.encode(image(333, 517));
    const r = await sam.decode(e, { points: [{ x: 250, y: 90 }], labels: [1] });
    const g = letterboxGeometry(333, 517);
    expectDisc(r.masks[0], 250, 90, FIXTURE_RADII[1] / g.scale);
  });

  it("picks the single-mask output in 'single' mode and follows SAM's advice in 'auto' mode", async () => {
    const single = await open(dirs.sam, "single");
    const auto = await open(dirs.sam, "auto");
    const e = await single.encode(image(640, 480));
    const one = await single.decode(e, { points: [{ x: 300, y: 200 }], labels: [1] });
    expect(one.masks).toHaveLength(1);
    expect(one.scores[0]).toBeCloseTo(FIXTURE_SCORES[0] + 0.01, 5);
    expectDisc(one.masks[0], 300, 200, FIXTURE_RADII[0] / 1.6);
    const e2 = await auto.encode(image(640, 480));
    expect((await auto.decode(e2, { points: [{ x: 300, y: 200 }], labels: [1] })).masks).toHaveLength(3);
    const two = await auto.decode(e2, {
      points: [
        { x: 300, y: 200 },
        { x: 10, y: 10 },
      ],
      labels: [1, 0],
    });
    expect(two.masks).toHaveLength(1);
    expect(two.scores[0]).toBeCloseTo(FIXTURE_SCORES[0] + 0.01, 5);
  });

  it("passes labels through: a negative first click inverts the fixture's disc", async () => {
    const sam = await open(dirs.sam);
    const e = await sam.encode(image(640, 480));
    const r = await sam.decode(e, { points: [{ x: 200, y: 150 }], labels: [0] });
    expect(at(r.masks[0], 200, 150)).toBe(0);
    expect(at(r.masks[0], 600, 450)).toBe(1);
  });

  it("feeds a previous mask as mask_input with has_mask_input = 1", async () => {
    const sam = await open(dirs.sam);
    const e = await sam.encode(image(64, 48));
    const prompt = { points: [{ x: 10, y: 10 }], labels: [1 as const] };
    const plain = await sam.decode(e, prompt);
    expect(area(plain.masks[0])).toBeLessThan(64 * 48);
    const refined = await sam.decode(e, { ...prompt, maskInput: new Float32Array(256 * 256).fill(1e6) });
    expect(area(refined.masks[0])).toBe(64 * 48);
  });

  it("post-processes in TypeScript (no masks output, or not read) byte-equal to the in-graph path", async () => {
    const withGraph = await open(dirs.sam, "multi", true);
    const img = image(333, 517);
    const prompt = { points: [{ x: 120, y: 300 }], labels: [1 as const] };
    const a = await withGraph.decode(await withGraph.encode(img), prompt);
    for (const withTs of [await open(dirs.noMasks), await open(dirs.sam)]) {
      const b = await withTs.decode(await withTs.encode(img), prompt);
      for (let k = 0; k < 3; k++) expect(Buffer.compare(a.masks[k].data, b.masks[k].data)).toBe(0);
    }
  });

  it("postprocessLowRes equals the export's Resize/Slice/Resize graph to the bit", async () => {
    const session = await ort.InferenceSession.create(join(dirs.sam, "decoder.onnx"));
    const [w, h] = [517, 333];
    const g = letterboxGeometry(w, h);
    const maskInput = new Float32Array(256 * 256).map((_, i) => Math.sin(i * 0.37) * 5);
    const out = await session.run({
      image_embeddings: new ort.Tensor("float32", new Float32Array(256 * 64 * 64), [1, 256, 64, 64]),
      point_coords: new ort.Tensor("float32", new Float32Array([300, 100, 0, 0]), [1, 2, 2]),
      point_labels: new ort.Tensor("float32", new Float32Array([1, -1]), [1, 2]),
      mask_input: new ort.Tensor("float32", maskInput, [1, 1, 256, 256]),
      has_mask_input: new ort.Tensor("float32", new Float32Array([1]), [1]),
      orig_im_size: new ort.Tensor("float32", new Float32Array([h, w]), [2]),
    });
    const low = out.low_res_masks.data as Float32Array;
    const masks = out.masks.data as Float32Array;
    expect(out.masks.dims).toEqual([1, 4, h, w]);
    for (let k = 0; k < 4; k++) {
      const ours = postprocessLowRes(low.slice(k * 65536, (k + 1) * 65536), 256, g);
      // ONNX Runtime's float32 operations, reproduced: not close, identical.
      expect(
        Buffer.from(ours.buffer).equals(Buffer.from(masks.slice(k * h * w, (k + 1) * h * w).buffer)),
      ).toBe(true);
    }
    await session.release();
  });

  it("returns the one mask of a return_single_mask export", async () => {
    const sam = await open(dirs.single);
    const r = await sam.decode(await sam.encode(image(100, 100)), {
      points: [{ x: 50, y: 50 }],
      labels: [1],
    });
    expect(r.masks).toHaveLength(1);
    expect(r.scores[0]).toBeCloseTo(FIXTURE_SCORES[2] + 0.01, 5);
  });

  it("decodes a batch of prompts like one decode each", async () => {
    const sam = await open(dirs.sam);
    const e = await sam.encode(image(200, 100));
    const prompts = [
      { points: [{ x: 20, y: 30 }], labels: [1 as const] },
      { points: [{ x: 150, y: 60 }], labels: [1 as const] },
    ];
    const batch = await sam.decodeBatch(e, prompts);
    for (let i = 0; i < prompts.length; i++) {
      expect(batch[i].masks[1].data).toEqual((await sam.decode(e, prompts[i])).masks[1].data);
    }
  });

  it("refuses an embedding from another model and malformed prompts with INVALID_ARGUMENT", async () => {
    const sam = await open(dirs.sam);
    const e = await sam.encode(image(50, 50));
    const foreign = { ...e, modelId: "classic:x" };
    await expect(sam.decode(foreign, { points: [{ x: 1, y: 1 }], labels: [1] })).rejects.toSatisfy((err) =>
      isAlignSamError(err, "INVALID_ARGUMENT"),
    );
    await expect(sam.decode(e, { points: [{ x: 1, y: 1 }], labels: [] })).rejects.toSatisfy((err) =>
      isAlignSamError(err, "INVALID_ARGUMENT"),
    );
    await expect(
      sam.decode(e, { points: [{ x: 1, y: 1 }], labels: [1], maskInput: new Float32Array(10) }),
    ).rejects.toSatisfy((err) => isAlignSamError(err, "INVALID_ARGUMENT"));
  });
});

describe("ONNX SAM segmenter (transformers.js split export)", () => {
  it("feeds positional embeddings and int64 labels without a padding point, post-processing in TypeScript", async () => {
    const sam = await open(dirs.split);
    const e = await sam.encode(image(640, 480));
    const r = await sam.decode(e, { points: [{ x: 400, y: 300 }], labels: [1] });
    expect(r.masks).toHaveLength(3);
    // No +0.01 (no padding point), and +0 from the positional check (a swapped feed would move it).
    r.scores.forEach((s, i) => {
      expect(s).toBeCloseTo(FIXTURE_SCORES[i + 1], 4);
    });
    r.masks.forEach((m, i) => {
      expectDisc(m, 400, 300, FIXTURE_RADII[i + 1] / 1.6);
    });
    const again = await sam.encode(image(640, 480, () => [10, 200, 30]));
    expect((again.backendState as { positional: Float32Array }).positional).not.toBe(
      (e.backendState as { positional: Float32Array }).positional,
    );
  });
});
