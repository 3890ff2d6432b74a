import sharp from "sharp";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "./types.ts";

/** Default pixel limit: 40 megapixels; larger inputs are refused as decompression bombs. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  maxPixels?: number;
}

/** Decode JPEG/PNG/WebP bytes (EXIF orientation applied) into an RGB image. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  if (bytes.length === 0) throw new AlignSamError("IMAGE_EMPTY", "the image is empty (zero bytes)");
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "error" })
      .rotate()
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (e) {
    throw new AlignSamError("IMAGE_DECODE", `could not decode the image: ${(e as Error).message}`);
  }
}
