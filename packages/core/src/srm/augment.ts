/**
 * Training-time augmentation for the SRM: ~50 labelled images are too few for a dense head to
 * generalise (the SRM-HEADROOM measurement saw seeds swing it by up to 8 mIoU points). Each copy is
 * a horizontal flip (half of them), a random crop of 70-100 % of each side and a photometric jitter
 * (brightness, contrast, saturation within +-20 %), applied to the image and, geometrically, to its
 * mask. Copies are encoded once per training run, like the originals.
 */
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type { Random } from "../util/random.ts";

export interface LabelledImage {
  readonly image: RgbImage;
  readonly mask: BinaryMask;
}

/** Mirror left-right. */
export function flipHorizontal(s: LabelledImage): LabelledImage {
  const { width: w, height: h } = s.image;
  const img = new Uint8Array(s.image.data.length);
  const mask = new Uint8Array(s.mask.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = y * w + (w - 1 - x);
      const dst = y * w + x;
      mask[dst] = s.mask.data[src];
      img[dst * 3] = s.image.data[src * 3];
      img[dst * 3 + 1] = s.image.data[src * 3 + 1];
      img[dst * 3 + 2] = s.image.data[src * 3 + 2];
    }
  }
  return { image: { width: w, height: h, data: img }, mask: { width: w, height: h, data: mask } };
}

/** The window [x0, x0 + cw) x [y0, y0 + ch) of image and mask. */
export function crop(s: LabelledImage, x0: number, y0: number, cw: number, ch: number): LabelledImage {
  const w = s.image.width;
  const img = new Uint8Array(cw * ch * 3);
  const mask = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    const row = (y0 + y) * w + x0;
    img.set(s.image.data.subarray(row * 3, (row + cw) * 3), y * cw * 3);
    mask.set(s.mask.data.subarray(row, row + cw), y * cw);
  }
  return { image: { width: cw, height: ch, data: img }, mask: { width: cw, height: ch, data: mask } };
}

/** Brightness, contrast (around the mean grey) and saturation gains, each in [1 - a, 1 + a]. */
export function photometric(image: RgbImage, rng: Random, amount = 0.2): RgbImage {
  const gain = () => 1 + (2 * rng.next() - 1) * amount;
  const brightness = gain();
  const contrast = gain();
  const saturation = gain();
  const d = image.data;
  let mean = 0;
  for (let i = 0; i < d.length; i++) mean += d[i];
  mean /= Math.max(1, d.length);
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) {
    const grey = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    for (let c = 0; c < 3; c++) {
      const v = grey + (d[i + c] - grey) * saturation;
      out[i + c] = Math.max(0, Math.min(255, Math.round(((v - mean) * contrast + mean) * brightness)));
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/** One random augmented copy (flip with probability 1/2, crop 70-100 % per side, photometric jitter). */
export function augmentOnce(s: LabelledImage, rng: Random): LabelledImage {
  let out = rng.next() < 0.5 ? flipHorizontal(s) : s;
  const { width: w, height: h } = out.image;
  const cw = Math.max(8, Math.round(w * (0.7 + 0.3 * rng.next())));
  const ch = Math.max(8, Math.round(h * (0.7 + 0.3 * rng.next())));
  if (cw < w || ch < h) out = crop(out, rng.int(w - cw + 1), rng.int(h - ch + 1), cw, ch);
  return { image: photometric(out.image, rng), mask: out.mask };
}
