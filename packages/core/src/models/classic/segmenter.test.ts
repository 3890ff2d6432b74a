import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../../errors.ts";
import type { Embedding } from "../ports.ts";
import { CLASSIC_LOW_RES_SIZE, createClassicSegmenter, FEATURE_NAMES } from "./index.ts";
import { coverage, discsOnTexture, maskIou } from "./test-images.ts";

const W = 200;
const H = 150;
const discA = { cx: 60, cy: 75, r: 32 };
const discB = { cx: 150, cy: 70, r: 28 };
const segmenter = createClassicSegmenter();

describe("classic segmenter", () => {
  const one = discsOnTexture(W, H, [discA]);
  const two = discsOnTexture(W, H, [discA, discB], 3);
  // Encode each scene once; decodes never mutate an embedding.
  let oneEmb: Promise<Embedding> | undefined;
  let twoEmb: Promise<Embedding> | undefined;
  const encodeOne = () => {
    oneEmb ??= segmenter.encode(one.image);
    return oneEmb;
  };
  const encodeTwo = () => {
    twoEmb ??= segmenter.encode(two.image);
    return twoEmb;
  };

  it("segments a bright disc from one positive click with IoU above 0.8", async () => {
    const emb = await encodeOne();
    const out = await segmenter.decode(emb, { points: [{ x: discA.cx, y: discA.cy }], labels: [1] });
    const best = out.scores.indexOf(Math.max(...out.scores));
    expect(maskIou(out.masks[best], one.truth[0])).toBeGreaterThan(0.8);
    expect(maskIou(out.masks[0], one.truth[0])).toBeGreaterThan(0.8);
  });

  it("removes a look-alike region once it gets a negative click", async () => {
    const emb = await encodeTwo();
    const pos = { points: [{ x: discA.cx, y: discA.cy }], labels: [1 as const] };
    const before = await segmenter.decode(emb, pos);
    // The global candidate takes the look-alike disc in on similarity alone.
    expect(coverage(before.masks[2], two.truth[1])).toBeGreaterThan(0.5);
    const after = await segmenter.decode(emb, {
      points: [...pos.points, { x: discB.cx, y: discB.cy }],
      labels: [1, 0],
    });
    for (const mask of after.masks) expect(coverage(mask, two.truth[1])).toBeLessThan(0.1);
    const best = after.scores.indexOf(Math.max(...after.scores));
    expect(maskIou(after.masks[best], two.truth[0])).toBeGreaterThan(0.8);
  });

  it("lets a previous mask pull an unclicked look-alike towards its label", async () => {
    const emb = await encodeTwo();
    const prompt = { points: [{ x: discA.cx, y: discA.cy }], labels: [1 as const] };
    const plain = await segmenter.decode(emb, prompt);
    // A previous mask that found disc A only (logit +8 inside A, -8 elsewhere, disc B included).
    const size = CLASSIC_LOW_RES_SIZE;
    const prior = new Float32Array(size * size);
    const inB = new Uint8Array(size * size);
    for (let v = 0; v < size; v++) {
      for (let u = 0; u < size; u++) {
        const x = ((u + 0.5) * W) / size;
        const y = ((v + 0.5) * H) / size;
        prior[v * size + u] = (x - discA.cx) ** 2 + (y - discA.cy) ** 2 <= discA.r ** 2 ? 8 : -8;
        inB[v * size + u] = (x - discB.cx) ** 2 + (y - discB.cy) ** 2 <= (discB.r - 3) ** 2 ? 1 : 0;
      }
    }
    const guided = await segmenter.decode(emb, { ...prompt, maskInput: prior });
    const meanInB = (logits: Float32Array) => {
      let s = 0;
      let n = 0;
      inB.forEach((b, c) => {
        if (b) {
          s += 1 / (1 + Math.exp(-logits[c]));
          n++;
        }
      });
      return s / n;
    };
    for (let k = 0; k < 3; k++) {
      expect(meanInB(guided.lowResLogits[k])).toBeLessThan(meanInB(plain.lowResLogits[k]) - 0.1);
      expect(coverage(guided.masks[k], two.truth[1])).toBeLessThanOrEqual(
        coverage(plain.masks[k], two.truth[1]),
      );
    }
  });

  it("returns the same masks, scores and logits for the same image and prompt", async () => {
    const a = await segmenter.decode(await segmenter.encode(two.image), {
      points: [
        { x: 60, y: 75 },
        { x: 10, y: 10 },
      ],
      labels: [1, 0],
    });
    const b = await segmenter.decode(await segmenter.encode(two.image), {
      points: [
        { x: 60, y: 75 },
        { x: 10, y: 10 },
      ],
      labels: [1, 0],
    });
    expect(b.scores).toEqual(a.scores);
    for (let k = 0; k < 3; k++) {
      expect(Buffer.from(b.masks[k].data).equals(Buffer.from(a.masks[k].data))).toBe(true);
      expect(b.lowResLogits[k]).toEqual(a.lowResLogits[k]);
    }
  });

  it("computes low-res logits on first read, once, and copies them out whole", async () => {
    const emb = await encodeOne();
    const out = await segmenter.decode(emb, { points: [{ x: discA.cx, y: discA.cy }], labels: [1] });
    const second = out.lowResLogits[2];
    expect(out.lowResLogits[2]).toBe(second);
    expect(out.lowResLogits).toHaveLength(3);
    const copied = structuredClone(out.lowResLogits);
    const spread = [...out.lowResLogits];
    for (let k = 0; k < 3; k++) {
      expect(copied[k]).toEqual(out.lowResLogits[k]);
      expect(spread[k]).toBe(out.lowResLogits[k]);
    }
    // Logits and masks agree: the mask is where sigmoid(logit) > 1/2, read at the cell centre.
    const cx = Math.floor(((discA.cx + 0.5) / W) * CLASSIC_LOW_RES_SIZE);
    const cy = Math.floor(((discA.cy + 0.5) / H) * CLASSIC_LOW_RES_SIZE);
    expect(second[cy * CLASSIC_LOW_RES_SIZE + cx]).toBeGreaterThan(0);
  });

  it("reports SAM-like shapes: 3 candidates at image size and 256 x 256 low-res logits", async () => {
    const emb = await encodeOne();
    expect([emb.channels, emb.height, emb.width]).toEqual([...segmenter.info.embeddingShape]);
    expect(emb.channels).toBe(FEATURE_NAMES.length);
    expect(emb.data.length).toBe(emb.channels * 64 * 64);
    expect([emb.imageWidth, emb.imageHeight]).toEqual([W, H]);
    const out = await segmenter.decode(emb, { points: [{ x: 60, y: 75 }], labels: [1] });
    expect(out.masks).toHaveLength(3);
    expect(out.scores).toHaveLength(3);
    expect(out.lowResSize).toBe(256);
    for (const m of out.masks) expect([m.width, m.height, m.data.length]).toEqual([W, H, W * H]);
    for (const l of out.lowResLogits) expect(l.length).toBe(256 * 256);
    for (const s of out.scores) expect(s).toBeGreaterThanOrEqual(0);
    // sigmoid(logit) > 1/2 exactly where candidate 0 is foreground (checked at the disc centre).
    const cu = Math.floor((discA.cx / W) * 256);
    const cv = Math.floor((discA.cy / H) * 256);
    expect(out.lowResLogits[0][cv * 256 + cu]).toBeGreaterThan(0);
    expect(out.lowResLogits[0][0]).toBeLessThan(0);
  });

  it("standardises every embedding channel that varies to zero mean and unit variance", async () => {
    const emb = await encodeOne();
    const n = emb.height * emb.width;
    for (let c = 0; c < emb.channels; c++) {
      const ch = emb.data.subarray(c * n, (c + 1) * n);
      const mean = ch.reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean)).toBeLessThan(0.2);
      expect(ch.every(Number.isFinite)).toBe(true);
    }
  });

  it("answers zero points with three empty masks and negative logits", async () => {
    const emb = await encodeOne();
    const out = await segmenter.decode(emb, { points: [], labels: [] });
    expect(out.masks).toHaveLength(3);
    for (const m of out.masks) expect(m.data.every((v) => v === 0)).toBe(true);
    for (const l of out.lowResLogits) expect(l.every((v) => v < 0)).toBe(true);
    expect(out.scores).toEqual([0, 0, 0]);
  });

  it("decodes a batch of prompts like one decode each", async () => {
    const emb = await encodeOne();
    const prompts = [
      { points: [{ x: 60, y: 75 }], labels: [1 as const] },
      { points: [{ x: 5, y: 5 }], labels: [1 as const] },
    ];
    const batch = await segmenter.decodeBatch!(emb, prompts);
    const single = await segmenter.decode(emb, prompts[1]);
    expect(batch).toHaveLength(2);
    expect(batch[1].scores).toEqual(single.scores);
  });

  it("refuses an embedding from another backend with MODEL_MISMATCH", async () => {
    const foreign: Embedding = {
      modelId: "sam-vit-b",
      channels: 1,
      height: 1,
      width: 1,
      data: new Float32Array(1),
      imageWidth: 1,
      imageHeight: 1,
    };
    await expect(segmenter.decode(foreign, { points: [], labels: [] })).rejects.toSatisfy((e) =>
      isAlignSamError(e, "MODEL_MISMATCH"),
    );
  });

  it("refuses mismatched points and labels, bad labels and a wrong-size maskInput with INVALID_ARGUMENT", async () => {
    const emb = await encodeOne();
    const bad = [
      { points: [{ x: 1, y: 1 }], labels: [] },
      { points: [{ x: 1, y: 1 }], labels: [2 as unknown as 1] },
      { points: [{ x: Number.NaN, y: 1 }], labels: [1 as const] },
      { points: [{ x: 1, y: 1 }], labels: [1 as const], maskInput: new Float32Array(64 * 64) },
    ];
    for (const prompt of bad) {
      await expect(segmenter.decode(emb, prompt)).rejects.toSatisfy((e) =>
        isAlignSamError(e, "INVALID_ARGUMENT"),
      );
    }
  });

  it("refuses invalid options with INVALID_ARGUMENT naming the field", () => {
    expect(() => createClassicSegmenter({ superpixelStep: 0 })).toThrow(/superpixelStep/);
  });
});
