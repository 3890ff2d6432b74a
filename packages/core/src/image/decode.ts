import { readFile, stat } from "node:fs/promises";
import sharp from "sharp";
import { AlignSamError } from "../errors.ts";
import { ACCEPTED_IMAGE_FORMATS, isAcceptedImageFormat, sniffImageFormat } from "./sniff.ts";
import type { RgbImage } from "./types.ts";

export type { AcceptedImageFormat, SniffedImageFormat, UnsupportedImageFormat } from "./sniff.ts";
export { ACCEPTED_IMAGE_FORMATS, isAcceptedImageFormat, sniffImageFormat } from "./sniff.ts";

/** Default pixel limit: 40 megapixels; larger inputs are refused as decompression bombs. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface DecodeOptions {
  /**
   * Refuse images with more pixels than this (checked from the header, before decoding).
   * @default 40_000_000
   */
  maxPixels?: number;
}

const ACCEPTED_LIST = ACCEPTED_IMAGE_FORMATS.join(", ");

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Validates the bytes before any pixel is decoded: the format comes from magic bytes (never a
 * declared type) and the pixel count from the header, so a bomb costs nothing but a header parse.
 */
async function checkHeader(bytes: Uint8Array, maxPixels: number): Promise<void> {
  if (bytes.length === 0) throw new AlignSamError("IMAGE_EMPTY", "the image is empty (zero bytes)");
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new AlignSamError(
      "IMAGE_DECODE",
      `the data is not a recognisable image (expected one of: ${ACCEPTED_LIST})`,
      { accepted: [...ACCEPTED_IMAGE_FORMATS] },
    );
  }
  if (!isAcceptedImageFormat(format)) {
    throw new AlignSamError(
      "IMAGE_UNSUPPORTED_FORMAT",
      `${format.toUpperCase()} images are not supported; send one of: ${ACCEPTED_LIST}`,
      { format, accepted: [...ACCEPTED_IMAGE_FORMATS] },
    );
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    // limitInputPixels: false so the header of a bomb can be read and reported with its size.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    width = meta.width;
    height = meta.height;
  } catch (e) {
    throw new AlignSamError("IMAGE_DECODE", `could not read the ${format} header: ${errorMessage(e)}`, {
      format,
    });
  }
  if (!width || !height) {
    throw new AlignSamError("IMAGE_DECODE", `the ${format} header carries no image size`, { format });
  }
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new AlignSamError(
      "IMAGE_TOO_LARGE",
      `the image is ${width}x${height} = ${pixels} pixels, more than the limit of ${maxPixels}`,
      { width, height, pixels, maxPixels },
    );
  }
}

/**
 * Decodes untrusted JPEG/PNG/WebP bytes into an 8-bit sRGB image the models can read: EXIF
 * orientation applied (phones store portraits sideways), alpha dropped, grey and CMYK converted.
 *
 * Errors: IMAGE_EMPTY (zero bytes), IMAGE_UNSUPPORTED_FORMAT (GIF, TIFF, BMP, AVIF/HEIF, SVG,
 * HTML, PDF, ...), IMAGE_TOO_LARGE (header says more than `maxPixels`), IMAGE_DECODE (anything
 * else, including truncated or corrupt data).
 * @example
 * const image = await decodeImage(await readFile("cat.jpg"));
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0))
    throw new AlignSamError("INVALID_ARGUMENT", `maxPixels must be positive, got ${maxPixels}`);
  await checkHeader(bytes, maxPixels);
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: Math.max(1, Math.floor(maxPixels)),
      failOn: "truncated",
    })
      .rotate()
      .removeAlpha()
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels, expected 3`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (e) {
    throw new AlignSamError("IMAGE_DECODE", `could not decode the image: ${errorMessage(e)}`);
  }
}

export interface ReadImageOptions extends DecodeOptions {
  /**
   * Refuse files larger than this many bytes before reading them.
   * @default 256 MiB
   */
  maxBytes?: number;
}

/**
 * Reads and decodes an image file with the same checks as uploads, so the CLI and the dataset
 * loaders refuse the same inputs the API does.
 * @example
 * const image = await readImageFile("datasets/glass/images/1.jpg");
 */
export async function readImageFile(path: string, options: ReadImageOptions = {}): Promise<RgbImage> {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > maxBytes) {
      throw new AlignSamError("IMAGE_TOO_LARGE", `${path} is ${info.size} bytes, more than ${maxBytes}`, {
        path,
        bytes: info.size,
        maxBytes,
      });
    }
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof AlignSamError) throw e;
    throw new AlignSamError("INVALID_ARGUMENT", `cannot read image file ${path}: ${errorMessage(e)}`, {
      path,
    });
  }
  try {
    return await decodeImage(bytes, options);
  } catch (e) {
    if (e instanceof AlignSamError) {
      throw new AlignSamError(e.code, `${path}: ${e.message}`, { ...e.details, path });
    }
    throw e;
  }
}
