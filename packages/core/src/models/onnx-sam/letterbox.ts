/**
 * SAM's input geometry (segment_anything ResizeLongestSide + Sam.preprocess + SamOnnxModel's mask
 * post-processing): resize the longest side to S, normalise, pad bottom-right to S x S; map point
 * prompts into that frame and back; threshold logits (the low-res upscale is ./postprocess.ts).
 */
import sharp from "sharp";
import type { RgbImage } from "../../image/types.ts";
import type { BinaryMask } from "../../mask/types.ts";
import type { Point } from "../ports.ts";

/** SAM's pixel mean and std (0-255 scale, RGB). */
export const SAM_PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_PIXEL_STD = [58.395, 57.12, 57.375] as const;

/** Where an image went inside the S x S model frame; everything needed to undo it. */
export interface LetterboxGeometry {
  readonly origH: number;
  readonly origW: number;
  readonly resizedH: number;
  readonly resizedW: number;
  /** long side / max(origH, origW). */
  readonly scale: number;
  /** The padded square side S. */
  readonly size: number;
}

export interface LetterboxOptions {
  /** Square side S of the model input. @default 1024 */
  size?: number;
  /** Per-channel mean on the 0-255 scale. @default SAM_PIXEL_MEAN */
  mean?: readonly number[];
  /** Per-channel std on the 0-255 scale. @default SAM_PIXEL_STD */
  std?: readonly number[];
}

export interface Letterboxed {
  /** 1 x 3 x S x S, CHW, normalised; the padding is 0 after normalisation, as in Sam.preprocess. */
  readonly tensor: Float32Array;
  readonly geometry: LetterboxGeometry;
}

/**
 * The size an image takes once its longest side is `longSide` (ResizeLongestSide.get_preprocess_shape:
 * round half up, so that the mask crop and the point transform agree with the reference to the pixel).
 * Extreme aspect ratios that the reference would round to 0 pixels are kept at 1.
 */
export function samResizeShape(
  h: number,
  w: number,
  longSide = 1024,
): { height: number; width: number; scale: number } {
  if (!(h > 0 && w > 0)) throw new RangeError(`image size must be positive, got ${w}x${h}`);
  const scale = longSide / Math.max(h, w);
  return {
    height: Math.max(1, Math.floor(h * scale + 0.5)),
    width: Math.max(1, Math.floor(w * scale + 0.5)),
    scale,
  };
}

/** The letterbox geometry of an image of this size, without touching pixels (for decoders and tests). */
export function letterboxGeometry(origW: number, origH: number, size = 1024): LetterboxGeometry {
  const { height, width, scale } = samResizeShape(origH, origW, size);
  return { origH, origW, resizedH: height, resizedW: width, scale, size };
}

/**
 * Prepare an image for a SAM image encoder. The resize is bilinear with antialiasing (libvips), the
 * closest match to the reference's PIL bilinear resize.
 */
export async function letterboxForSam(image: RgbImage, options: LetterboxOptions = {}): Promise<Letterboxed> {
  const size = options.size ?? 1024;
  const mean = options.mean ?? SAM_PIXEL_MEAN;
  const std = options.std ?? SAM_PIXEL_STD;
  const geometry = letterboxGeometry(image.width, image.height, size);
  const { resizedW, resizedH } = geometry;
  let pixels = image.data;
  if (resizedW !== image.width || resizedH !== image.height) {
    const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(resizedW, resizedH, { fit: "fill", kernel: "linear" })
      .raw()
      .toBuffer();
    pixels = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  }
  const tensor = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const inv = 1 / std[c];
    const plane = c * size * size;
    for (let y = 0; y < resizedH; y++) {
      const row = plane + y * size;
      const src = y * resizedW * 3 + c;
      for (let x = 0; x < resizedW; x++) tensor[row + x] = (pixels[src + x * 3] - m) * inv;
    }
  }
  return { tensor, geometry };
}

/** Original-image points -> model-frame points (ResizeLongestSide.apply_coords). */
export function toModelCoords(points: readonly Point[], g: LetterboxGeometry): Point[] {
  const sx = g.resizedW / g.origW;
  const sy = g.resizedH / g.origH;
  return points.map((p) => ({ x: p.x * sx, y: p.y * sy }));
}

/** Model-frame points -> original-image points (the inverse of toModelCoords). */
export function fromModelCoords(points: readonly Point[], g: LetterboxGeometry): Point[] {
  const sx = g.origW / g.resizedW;
  const sy = g.origH / g.resizedH;
  return points.map((p) => ({ x: p.x * sx, y: p.y * sy }));
}

/** Logits -> binary mask (SAM's mask_threshold is 0.0: strictly greater is foreground). */
export function thresholdLogits(
  logits: Float32Array,
  width: number,
  height: number,
  threshold = 0,
): BinaryMask {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = logits[i] > threshold ? 1 : 0;
  return { width, height, data };
}
