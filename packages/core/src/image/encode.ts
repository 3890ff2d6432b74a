import sharp, { type Sharp } from "sharp";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "./types.ts";

function rawInput(image: RgbImage): Sharp {
  const expected = image.width * image.height * 3;
  if (image.width <= 0 || image.height <= 0 || image.data.length !== expected) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `RGB image ${image.width}x${image.height} has ${image.data.length} bytes, expected ${expected}`,
    );
  }
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/**
 * Encodes an RGB image as a lossless PNG, for results and fixtures where exact pixels matter.
 * @example
 * await writeFile("out.png", await encodeRgbPng(image));
 */
export async function encodeRgbPng(image: RgbImage): Promise<Uint8Array> {
  return rawInput(image).png().toBuffer();
}

/**
 * Encodes an RGB image as a JPEG, for previews where size matters more than exact pixels.
 * @param quality 1..100
 * @default quality 90
 * @example
 * const preview = await encodeRgbJpeg(image, 80);
 */
export async function encodeRgbJpeg(image: RgbImage, quality = 90): Promise<Uint8Array> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new AlignSamError("INVALID_ARGUMENT", `JPEG quality must be an integer in 1..100, got ${quality}`);
  }
  return rawInput(image).jpeg({ quality }).toBuffer();
}
