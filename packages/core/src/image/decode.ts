import { readFile, stat } from "node:fs/promises";
import sharp from "sharp";
import { AlignSamError } from "../errors.ts";
import { ACCEPTED_IMAGE_FORMATS, isAcceptedImageFormat, sniffImageFormat } from "./sniff.ts";
import type { RgbImage } from "./types.ts";

export type { AcceptedImageFormat, SniffedImageFormat, UnsupportedImageFormat } from "./sniff.ts";
export { ACCEPTED_IMAGE_FORMATS, isAcceptedImageFormat, sniffImageFormat } from "./sniff.ts";

/**
 * Default pixel limit: 25 megapixels; larger inputs are refused (IMAGE_TOO_LARGE) from the header.
 * It admits a 24 MP camera's full frame (6000x4000) and every phone's default output, while the
 * models see at most DEFAULT_WORKING_LONG_SIDE px anyway: past that, more pixels buy only decode
 * time (a 40 MP PNG took 4.6 s), so the limit bounds CPU per job as the working decode bounds memory.
 * The API's ALIGNSAM_MAX_IMAGE_PIXELS and the worker's default to the same value.
 */
export const DEFAULT_MAX_PIXELS = 25_000_000;

/**
 * Default long side (px) of the working image a service job decodes to: twice SAM's 1024 input
 * and over six times the classic backend's 320, so no backend loses detail, and every image up to
 * 2048 px (every dataset image here) decodes to its own pixels, unchanged. Bigger ones shrink while
 * decoding: the worker never holds more than 2048 x 2048 x 3 bytes of pixels per job.
 */
export const DEFAULT_WORKING_LONG_SIDE = 2048;

export interface DecodeOptions {
  /**
   * Refuse images with more pixels than this (checked from the header, before decoding).
   * @default 25_000_000
   */
  maxPixels?: number;
}

export interface WorkingDecodeOptions extends DecodeOptions {
  /**
   * Longest side, in px, of the decoded image: a larger one is shrunk by libvips while it decodes
   * (JPEG shrink-on-load), so its full-size pixels never reach JavaScript.
   * @default 2048
   */
  maxLongSide?: number;
}

/** An image decoded at a working size, with the size its outputs promise (the input's own). */
export interface WorkingImage {
  /** The pixels, at most maxLongSide on the long side; the input's own pixels when it fits. */
  readonly image: RgbImage;
  /** The input's size after EXIF orientation. */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** True when image is smaller than the input. */
  readonly scaled: boolean;
}

export interface ImageSize {
  /** Size after EXIF orientation (what decodeImage returns). */
  readonly width: number;
  readonly height: number;
}

const ACCEPTED_LIST = ACCEPTED_IMAGE_FORMATS.join(", ");

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Validates the bytes before any pixel is decoded: the format comes from magic bytes (never a
 * declared type) and the pixel count from the header, so a bomb costs nothing but a header parse.
 */
async function checkHeader(bytes: Uint8Array, maxPixels: number): Promise<ImageSize> {
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
  let oriented: ImageSize | undefined;
  try {
    // limitInputPixels: false so the header of a bomb can be read and reported with its size.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    width = meta.width;
    height = meta.height;
    oriented = meta.autoOrient;
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
  return oriented?.width && oriented.height ? oriented : { width, height };
}

function checkPositive(name: string, value: number): void {
  if (!(value > 0)) throw new AlignSamError("INVALID_ARGUMENT", `${name} must be positive, got ${value}`);
}

/** The size a long side of maxLongSide gives, aspect kept; the input's own size when it fits. */
export function workingImageSize(width: number, height: number, maxLongSide: number): ImageSize {
  const long = Math.max(width, height);
  if (long <= maxLongSide) return { width, height };
  const scale = maxLongSide / long;
  return {
    width: Math.max(1, Math.min(maxLongSide, Math.round(width * scale))),
    height: Math.max(1, Math.min(maxLongSide, Math.round(height * scale))),
  };
}

/** Decode to 8-bit sRGB, resized to `size` while decoding when it is given. */
async function decodePixels(bytes: Uint8Array, maxPixels: number, size?: ImageSize): Promise<RgbImage> {
  try {
    let pipeline = sharp(bytes, {
      limitInputPixels: Math.max(1, Math.floor(maxPixels)),
      failOn: "truncated",
    }).rotate();
    // Applied after rotate(), so size is in oriented coordinates; libvips shrinks on load where the
    // format allows (JPEG) and otherwise streams rows through the reduce.
    if (size) pipeline = pipeline.resize(size.width, size.height, { fit: "fill" });
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels, expected 3`);
    if (size && (info.width !== size.width || info.height !== size.height)) {
      throw new Error(`decoder produced ${info.width}x${info.height}, expected ${size.width}x${size.height}`);
    }
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (e) {
    throw new AlignSamError("IMAGE_DECODE", `could not decode the image: ${errorMessage(e)}`);
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
  checkPositive("maxPixels", maxPixels);
  await checkHeader(bytes, maxPixels);
  return decodePixels(bytes, maxPixels);
}

/**
 * Decodes untrusted bytes as decodeImage does, at most `maxLongSide` px on the long side: what a
 * service job needs, since no backend reads finer than that, and a 25 MP upload then costs a job
 * 12 MB of pixels instead of 75 MB (plus the float copies the classic backend makes of them). An
 * image that fits decodes to exactly decodeImage's pixels. Same errors as decodeImage.
 * @example
 * const { image, originalWidth, originalHeight } = await decodeWorkingImage(bytes, { maxLongSide: 2048 });
 */
export async function decodeWorkingImage(
  bytes: Uint8Array,
  options: WorkingDecodeOptions = {},
): Promise<WorkingImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxLongSide = options.maxLongSide ?? DEFAULT_WORKING_LONG_SIDE;
  checkPositive("maxPixels", maxPixels);
  if (!Number.isInteger(maxLongSide) || maxLongSide < 1) {
    throw new AlignSamError("INVALID_ARGUMENT", `maxLongSide must be a positive integer, got ${maxLongSide}`);
  }
  const original = await checkHeader(bytes, maxPixels);
  const size = workingImageSize(original.width, original.height, maxLongSide);
  const scaled = size.width !== original.width || size.height !== original.height;
  const image = await decodePixels(bytes, maxPixels, scaled ? size : undefined);
  return { image, originalWidth: original.width, originalHeight: original.height, scaled };
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
