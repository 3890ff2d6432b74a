/**
 * The ONNX SAM adapter on the genuine MobileSAM encoder and official SAM decoder export (RANDOM
 * weights, ../shared/models/sam-graphs): the masks mean nothing, so these tests check the contract
 * the official notebook states (feeds, shapes, dtypes, padding point, post-processing) against the
 * real graphs, by running the same graph directly with ONNX Runtime beside the adapter.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import {
  resolveSamGraphsDir,
  SAM_GRAPHS_DECODER,
  SAM_GRAPHS_MANIFEST,
  samGraphsMissing,
  writeSamGraphsPackage,
} from "../../testing/sam-graphs.ts";
import type { Embedding } from "../ports.ts";
import { letterboxGeometry } from "./letterbox.ts";
import { postprocessLowRes } from "./postprocess.ts";
import { createOnnxSamSegmenter, type OnnxSamSegmenter } from "./segmenter.ts";

const missing = samGraphsMissing();
if (missing) console.warn(`sam-graphs tests skipped: ${missing}`);

const L = 256;
const MODEL_ID = `onnx-sam:${SAM_GRAPHS_MANIFEST.id}@${SAM_GRAPHS_MANIFEST.version}`;

/** A deterministic textured image (the weights are random: any pixels will do). */
function image(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.floor(128 + 90 * Math.sin(i / (211 + 17 * seed)) + 30 * Math.cos((i * seed) % 97));
  }
  return { width, height, data };
}

const equalBytes = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Buffer.compare(
    Buffer.from(new Uint8Array(Float32Array.from(a).buffer)),
    Buffer.from(new Uint8Array(Float32Array.from(b).buffer)),
  ) === 0;

describe.skipIf(missing !== undefined)(
  `ONNX SAM adapter on the real MobileSAM/SAM graphs${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let dir: string;
    let manifestPath: string;
    let sam: OnnxSamSegmenter;
    let decoder: ort.InferenceSession;
    let landscape: Embedding;
    const W = 640;
    const H = 480;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "alignsam-sam-graphs-"));
      manifestPath = await writeSamGraphsPackage(join(dir, "pkg"));
      // The default warm-up (a 32 x 32 encode and a decode) runs on the real graphs too.
      sam = await createOnnxSamSegmenter({
        manifestUri: manifestPath,
        intraOpNumThreads: 2,
        interOpNumThreads: 1,
      });
      decoder = await ort.InferenceSession.create(join(resolveSamGraphsDir(), SAM_GRAPHS_DECODER), {
        executionProviders: ["cpu"],
        intraOpNumThreads: 2,
      });
      landscape = await sam.encode(image(W, H, 1));
    }, 120_000);

    afterAll(async () => {
      await sam?.dispose();
      await decoder?.release();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** The official notebook's feeds, built here independently of the adapter. */
    async function direct(
      e: Embedding,
      coords: number[],
      labels: number[],
      extra: { mask?: Float32Array; orig?: [number, number] } = {},
    ) {
      const n = labels.length;
      return decoder.run({
        image_embeddings: new ort.Tensor("float32", e.data, [1, 256, 64, 64]),
        point_coords: new ort.Tensor("float32", Float32Array.from(coords), [1, n, 2]),
        point_labels: new ort.Tensor("float32", Float32Array.from(labels), [1, n]),
        mask_input: new ort.Tensor("float32", extra.mask ?? new Float32Array(L * L), [1, 1, L, L]),
        has_mask_input: new ort.Tensor("float32", Float32Array.from([extra.mask ? 1 : 0]), [1]),
        orig_im_size: new ort.Tensor(
          "float32",
          Float32Array.from(extra.orig ?? [e.imageHeight, e.imageWidth]),
          [2],
        ),
      });
    }

    it("opens the pair from its manifest: sessions checked, 256 x 64 x 64 embeddings, 256 x 256 low-res", () => {
      expect(sam.info).toEqual({
        backend: "onnx-sam",
        modelId: MODEL_ID,
        embeddingShape: [256, 64, 64],
        lowResSize: 256,
      });
      expect(sam.provider).toBe("cpu");
      expect([landscape.channels, landscape.height, landscape.width]).toEqual([256, 64, 64]);
      expect([landscape.imageWidth, landscape.imageHeight]).toEqual([W, H]);
    });

    it("refuses a manifest that misdescribes the real graph: int64 labels, a missing input, a wrong checksum", async () => {
      const cases: [string, (m: Record<string, unknown>) => unknown, string, RegExp][] = [
        [
          "int64",
          (m) => {
            const d = m.decoder as { inputs: Record<string, { dtype: string }> };
            d.inputs.pointLabels.dtype = "int64";
            return m;
          },
          "MODEL_MISMATCH",
          /decoder input 'point_labels': manifest says int64 \[1,num_points\], model has float32/,
        ],
        [
          "renamed",
          (m) => {
            const d = m.decoder as { inputs: Record<string, { name: string }> };
            d.inputs.origImSize.name = "orig_size";
            return m;
          },
          "MODEL_MISMATCH",
          /'orig_size': the manifest names it but the model has no such input/,
        ],
        [
          "checksum",
          (m) => {
            (m.files as { sha256: string }[])[1].sha256 = "0".repeat(64);
            return m;
          },
          "MODEL_CHECKSUM",
          /sam_decoder\.onnx/,
        ],
      ];
      for (const [name, edit, code, message] of cases) {
        const path = await writeSamGraphsPackage(join(dir, name), { edit });
        const err = await createOnnxSamSegmenter({ manifestUri: path, warmUp: false }).catch((e) => e);
        expect(isAlignSamError(err, code as never), `${name}: ${err}`).toBe(true);
        expect(err.message).toMatch(message);
      }
    }, 120_000);

    it("is deterministic: the same image twice gives byte-equal embeddings, logits and masks", async () => {
      const again = await sam.encode(image(W, H, 1));
      expect(equalBytes(again.data, landscape.data)).toBe(true);
      const prompt = { points: [{ x: 200, y: 150 }], labels: [1 as const] };
      const a = await sam.decode(landscape, prompt);
      const b = await sam.decode(again, prompt);
      for (let k = 0; k < 3; k++) {
        expect(equalBytes(a.lowResLogits[k], b.lowResLogits[k])).toBe(true);
        expect(Buffer.compare(a.masks[k].data, b.masks[k].data)).toBe(0);
      }
      expect(a.scores).toEqual(b.scores);
    });

    it("feeds the notebook's prompt: points in the 1024 frame without +0.5, then (0,0) labelled -1, as float32", async () => {
      const points = [
        { x: 321.5, y: 100.25 },
        { x: 40, y: 470 },
      ];
      const got = await sam.decode(landscape, { points, labels: [1, 0] });
      const s = 1024 / 640; // 640 x 480 -> 1024 x 768
      const official = await direct(landscape, [321.5 * s, 100.25 * s, 40 * s, 470 * s, 0, 0], [1, 0, -1]);
      const low = official.low_res_masks.data as Float32Array;
      const scores = official.iou_predictions.data as Float32Array;
      expect(official.low_res_masks.dims).toEqual([1, 4, L, L]);
      expect(official.iou_predictions.dims).toEqual([1, 4]);
      // "multi": candidates 1..3 (SamPredictor's [1:]), read by name, not by output position.
      for (let k = 0; k < 3; k++) {
        expect(equalBytes(got.lowResLogits[k], low.subarray((k + 1) * L * L, (k + 2) * L * L))).toBe(true);
        expect(got.scores[k]).toBe(scores[k + 1]);
      }
      // The feeds matter: with +0.5, or without the padding point, the graph answers differently.
      const plusHalf = await direct(
        landscape,
        [321.5 * s + 0.5, 100.25 * s + 0.5, 40 * s + 0.5, 470 * s + 0.5, 0, 0],
        [1, 0, -1],
      );
      const unpadded = await direct(landscape, [321.5 * s, 100.25 * s, 40 * s, 470 * s], [1, 0]);
      expect(equalBytes(plusHalf.low_res_masks.data as Float32Array, low)).toBe(false);
      expect(equalBytes(unpadded.low_res_masks.data as Float32Array, low)).toBe(false);
    });

    it("takes 1 and 17 points (dynamic point count): 3 candidates, 256 x 256 logits, masks at the input's size", async () => {
      for (const n of [1, 17]) {
        const points = Array.from({ length: n }, (_, i) => ({ x: (i * 37) % W, y: (i * 53) % H }));
        const labels = points.map((_, i) => (i % 3 === 2 ? 0 : 1) as 0 | 1);
        const r = await sam.decode(landscape, { points, labels });
        expect(r.masks).toHaveLength(3);
        expect(r.scores).toHaveLength(3);
        expect(r.lowResSize).toBe(L);
        for (let k = 0; k < 3; k++) {
          expect(r.lowResLogits[k]).toHaveLength(L * L);
          expect([r.masks[k].width, r.masks[k].height, r.masks[k].data.length]).toEqual([W, H, W * H]);
          expect(r.masks[k].data.every((v) => v === 0 || v === 1)).toBe(true);
          expect(Number.isFinite(r.scores[k])).toBe(true);
        }
      }
    });

    it("feeds a previous low-res mask as mask_input with has_mask_input 1", async () => {
      const first = await sam.decode(landscape, { points: [{ x: 500, y: 300 }], labels: [1] });
      const refined = await sam.decode(landscape, {
        points: [{ x: 500, y: 300 }],
        labels: [1],
        maskInput: first.lowResLogits[0],
      });
      const s = 1024 / 640;
      const official = await direct(landscape, [500 * s, 300 * s, 0, 0], [1, -1], {
        mask: first.lowResLogits[0],
      });
      const low = official.low_res_masks.data as Float32Array;
      expect(equalBytes(refined.lowResLogits[0], low.subarray(L * L, 2 * L * L))).toBe(true);
      expect(equalBytes(refined.lowResLogits[0], first.lowResLogits[0])).toBe(false);
    });

    it("upscales the read candidate in TypeScript byte-equal to the graph's masks output (several shapes)", async () => {
      const inGraph = await createOnnxSamSegmenter({
        manifestUri: manifestPath,
        warmUp: false,
        inGraphMasks: true,
      });
      try {
        const shapes: [number, number, Embedding | undefined][] = [
          [W, H, landscape],
          [300, 400, undefined],
          [1000, 333, undefined],
          [257, 255, undefined],
        ];
        for (const [w, h, known] of shapes) {
          const e = known ?? (await sam.encode(image(w, h, w)));
          for (const points of [
            [{ x: w * 0.3, y: h * 0.6 }],
            [
              { x: w * 0.9, y: h * 0.1 },
              { x: 1, y: h - 1 },
            ],
          ]) {
            const prompt = { points, labels: points.map((_, i) => (i === 0 ? 1 : 0) as 0 | 1) };
            const a = await sam.decode(e, prompt);
            const b = await inGraph.decode(e, prompt);
            for (let k = 0; k < 3; k++) {
              expect(equalBytes(a.lowResLogits[k], b.lowResLogits[k])).toBe(true);
              expect(a.scores[k]).toBe(b.scores[k]);
              expect(Buffer.compare(a.masks[k].data, b.masks[k].data), `${w}x${h} candidate ${k}`).toBe(0);
            }
          }
          // The logits themselves, not only the thresholded masks, are the graph's to the bit.
          const g = letterboxGeometry(w, h);
          const out = await direct(
            e,
            [w * 0.3 * (g.resizedW / w), h * 0.6 * (g.resizedH / h), 0, 0],
            [1, -1],
          );
          const masks = out.masks.data as Float32Array;
          expect(out.masks.dims).toEqual([1, 4, h, w]);
          const low = out.low_res_masks.data as Float32Array;
          for (let k = 0; k < 4; k++) {
            const ours = postprocessLowRes(low.slice(k * L * L, (k + 1) * L * L), L, g);
            expect(
              equalBytes(ours, masks.subarray(k * w * h, (k + 1) * w * h)),
              `${w}x${h} logits ${k}`,
            ).toBe(true);
          }
        }
      } finally {
        await inGraph.dispose();
      }
    }, 180_000);

    it("gives the same scores and low-res logits whatever orig_im_size is (it only sizes the masks output)", async () => {
      const s = 1024 / 640;
      const coords = [100 * s, 200 * s, 0, 0];
      const full = await direct(landscape, coords, [1, -1]);
      const tiny = await direct(landscape, coords, [1, -1], { orig: [1, 1] });
      expect(tiny.masks.dims).toEqual([1, 4, 1, 1]);
      expect(
        equalBytes(tiny.low_res_masks.data as Float32Array, full.low_res_masks.data as Float32Array),
      ).toBe(true);
      expect(
        equalBytes(tiny.iou_predictions.data as Float32Array, full.iou_predictions.data as Float32Array),
      ).toBe(true);
    });

    it("returns SAM's single-mask output (candidate 0) in 'single' mode", async () => {
      const single = await createOnnxSamSegmenter({
        manifestUri: manifestPath,
        warmUp: false,
        multimask: "single",
      });
      try {
        const r = await single.decode(landscape, { points: [{ x: 10, y: 10 }], labels: [1] });
        const official = await direct(landscape, [16, 16, 0, 0], [1, -1]);
        expect(r.masks).toHaveLength(1);
        expect(
          equalBytes(r.lowResLogits[0], (official.low_res_masks.data as Float32Array).subarray(0, L * L)),
        ).toBe(true);
      } finally {
        await single.dispose();
      }
    });

    it("takes the thread settings: one intra-op thread encodes what two do (threads change speed, not results)", async () => {
      const one = await createOnnxSamSegmenter({
        manifestUri: manifestPath,
        warmUp: false,
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      try {
        const small = image(96, 64, 5);
        const [a, b] = [await one.encode(small), await sam.encode(small)];
        const prompt = { points: [{ x: 30, y: 20 }], labels: [1 as const] };
        const [ra, rb] = [await one.decode(a, prompt), await sam.decode(b, prompt)];
        let maxDiff = 0;
        for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
        // Thread count may change float summation order in the encoder's kernels: equal to float noise.
        expect(maxDiff).toBeLessThan(1e-4);
        expect(ra.masks[0].data.length).toBe(rb.masks[0].data.length);
      } finally {
        await one.dispose();
      }
    }, 120_000);
  },
);
