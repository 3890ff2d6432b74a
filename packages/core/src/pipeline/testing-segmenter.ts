/**
 * A real, deterministic toy PromptableSegmenter for tests only: the "embedding" is a coarse map of
 * colour and texture, and the "decoder" grows regions from the clicks (each low-res cell joins the
 * nearest click in feature + position space; logits are the distance margin). It lets the agent,
 * the SRM and the pipeline be tested fast without any model weights. Also a generator of synthetic
 * images: bright blobs on a textured background.
 */

import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type {
  DecodePrompt,
  DecodeResult,
  Embedding,
  PromptableSegmenter,
  SegmenterInfo,
} from "../models/ports.ts";
import { createRandom } from "../util/random.ts";

const SIZE = 32;
const CHANNELS = 5;

export function createTestingSegmenter(options: { modelId?: string } = {}): PromptableSegmenter {
  const info: SegmenterInfo = {
    backend: "testing",
    modelId: options.modelId ?? "testing-region-grow-v1",
    embeddingShape: [CHANNELS, SIZE, SIZE],
    lowResSize: SIZE,
  };
  return {
    info,
    async encode(image: RgbImage): Promise<Embedding> {
      return {
        modelId: info.modelId,
        channels: CHANNELS,
        height: SIZE,
        width: SIZE,
        data: features(image),
        imageWidth: image.width,
        imageHeight: image.height,
      };
    },
    async decode(embedding: Embedding, prompt: DecodePrompt): Promise<DecodeResult> {
      const logits = grow(embedding, prompt);
      return {
        masks: [upsample(logits, embedding.imageWidth, embedding.imageHeight)],
        scores: [1],
        lowResLogits: [logits],
        lowResSize: SIZE,
      };
    },
  };
}

/** Channels: R, G, B, luminance, local texture (|L - mean of 4-neighbourhood|), each in ~[0, 1]. */
function features(image: RgbImage): Float32Array {
  const { width: w, height: h, data } = image;
  const out = new Float32Array(CHANNELS * SIZE * SIZE);
  const plane = SIZE * SIZE;
  for (let gy = 0; gy < SIZE; gy++) {
    const y0 = Math.floor((gy * h) / SIZE);
    const y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * h) / SIZE));
    for (let gx = 0; gx < SIZE; gx++) {
      const x0 = Math.floor((gx * w) / SIZE);
      const x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * w) / SIZE));
      let r = 0;
      let g = 0;
      let b = 0;
      let tex = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * w + x) * 3;
          r += data[i];
          g += data[i + 1];
          b += data[i + 2];
          const j = (y * w + Math.min(w - 1, x + 1)) * 3;
          tex += Math.abs(data[i] + data[i + 1] + data[i + 2] - data[j] - data[j + 1] - data[j + 2]) / 3;
        }
      }
      const n = 255 * (y1 - y0) * (x1 - x0);
      const p = gy * SIZE + gx;
      out[p] = r / n;
      out[plane + p] = g / n;
      out[2 * plane + p] = b / n;
      out[3 * plane + p] = (r + g + b) / (3 * n);
      out[4 * plane + p] = tex / n;
    }
  }
  return out;
}

function grow(e: Embedding, prompt: DecodePrompt): Float32Array {
  const plane = SIZE * SIZE;
  const seeds = prompt.points.map((p, k) => {
    const gx = Math.min(SIZE - 1, Math.max(0, Math.floor((p.x / e.imageWidth) * SIZE)));
    const gy = Math.min(SIZE - 1, Math.max(0, Math.floor((p.y / e.imageHeight) * SIZE)));
    const f = Array.from({ length: CHANNELS }, (_, c) => e.data[c * plane + gy * SIZE + gx]);
    return { gx, gy, f, label: prompt.labels[k] };
  });
  const out = new Float32Array(plane);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let dPos = Number.POSITIVE_INFINITY;
      let dNeg = 0.08; // background wins beyond this distance when no negative click is closer
      for (const s of seeds) {
        let d = 0;
        for (let c = 0; c < CHANNELS; c++) d += (e.data[c * plane + y * SIZE + x] - s.f[c]) ** 2;
        d += 0.05 * (((x - s.gx) / SIZE) ** 2 + ((y - s.gy) / SIZE) ** 2);
        if (s.label === 1) dPos = Math.min(dPos, d);
        else dNeg = Math.min(dNeg, d);
      }
      out[y * SIZE + x] = Math.max(-20, Math.min(20, 40 * (dNeg - dPos)));
    }
  }
  return out;
}

function upsample(logits: Float32Array, w: number, h: number): BinaryMask {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const gy = Math.min(SIZE - 1, Math.floor((y * SIZE) / h));
    for (let x = 0; x < w; x++)
      data[y * w + x] = logits[gy * SIZE + Math.min(SIZE - 1, Math.floor((x * SIZE) / w))] > 0 ? 1 : 0;
  }
  return { width: w, height: h, data };
}

/**
 * A synthetic sample: 1-2 bright elliptical objects on a darker textured background (noise stripes),
 * with its exact ground truth. Deterministic per seed.
 */
export function generateSample(
  seed: number,
  width = 96,
  height = 96,
): { id: string; image: RgbImage; mask: BinaryMask } {
  const rng = createRandom(seed);
  const image = new Uint8Array(width * height * 3);
  const mask = new Uint8Array(width * height);
  const blobs = Array.from({ length: 1 + rng.int(2) }, () => ({
    cx: (0.2 + 0.6 * rng.next()) * width,
    cy: (0.2 + 0.6 * rng.next()) * height,
    rx: (0.12 + 0.12 * rng.next()) * width,
    ry: (0.12 + 0.12 * rng.next()) * height,
    hue: rng.int(3),
  }));
  const bg = [40 + rng.int(40), 40 + rng.int(40), 40 + rng.int(40)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const stripe = ((x + 2 * y) >> 2) % 2 === 0 ? 25 : 0;
      let rgb = bg.map((v) => v + stripe + rng.int(20));
      for (const b of blobs) {
        if (((x - b.cx) / b.rx) ** 2 + ((y - b.cy) / b.ry) ** 2 <= 1) {
          mask[i] = 1;
          rgb = [200, 200, 200].map((v, c) => v + (c === b.hue ? 40 : 0) + rng.int(10));
        }
      }
      for (let c = 0; c < 3; c++) image[i * 3 + c] = Math.min(255, rgb[c]);
    }
  }
  return {
    id: `synthetic-${seed}`,
    image: { width, height, data: image },
    mask: { width, height, data: mask },
  };
}
