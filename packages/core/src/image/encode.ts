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

/**
 * Rescales a greyscale PNG (a mask, a probability map) to width x height by nearest-neighbour
 * sampling inside libvips, so a result shown at the input's size never has its full-size pixels in
 * JavaScript. Returns the bytes unchanged when they already have that size.
 * @example
 * const full = await resizeGreyPngNearest(await encodeProbabilityPng(p2048), 6000, 4000);
 */
export async function resizeGreyPngNearest(
  png: Uint8Array,
  width: number,
  height: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new AlignSamError("INVALID_ARGUMENT", `PNG size must be positive integers, got ${width}x${height}`);
  }
  const input = sharp(png, { failOn: "truncated" });
  const meta = await input.metadata();
  if (meta.format !== "png" || meta.channels !== 1) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `expected a one-channel PNG, got ${meta.format} with ${meta.channels} channels`,
    );
  }
  if (meta.width === width && meta.height === height) return png;
  const out = await input
    .resize(width, height, { fit: "fill", kernel: "nearest" })
    .toColourspace("b-w")
    .png({ compressionLevel: 9, adaptiveFiltering: false }) // as mask/png.ts writes masks
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
