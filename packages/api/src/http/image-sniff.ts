/**
 * Identify an uploaded image by its magic bytes and check its container structure, without decoding
 * pixels: the API stays free of native image libraries, yet refuses SVG, other formats and truncated
 * files before anything is stored. The worker decodes for real (core's decodeWorkingImage), under the
 * same pixel limit (config.ts maxImagePixels, 25 MP by default).
 */
import { AlignSamError } from "@alignsam/core/light";

export const ACCEPTED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export type AcceptedImageType = (typeof ACCEPTED_IMAGE_TYPES)[number];

export interface SniffedImage {
  readonly contentType: AcceptedImageType;
  readonly extension: "jpg" | "png" | "webp";
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function truncated(format: string, why: string): AlignSamError {
  return new AlignSamError("IMAGE_DECODE", `the ${format} upload is truncated or corrupt: ${why}`);
}

function sniffPng(bytes: Uint8Array, view: DataView): SniffedImage {
  let offset = 8;
  let width = 0;
  let height = 0;
  for (;;) {
    if (offset + 8 > bytes.length) throw truncated("PNG", "it ends before its IEND chunk");
    const length = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    const end = offset + 12 + length;
    if (end > bytes.length) throw truncated("PNG", `chunk ${type} runs past the end of the file`);
    if (offset === 8) {
      if (type !== "IHDR" || length !== 13) throw truncated("PNG", "the first chunk is not IHDR");
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
    }
    if (type === "IEND") break;
    offset = end;
  }
  return { contentType: "image/png", extension: "png", width, height };
}

/** SOF markers carry the frame size (C0..CF except DHT C4, JPG C8 and DAC CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function sniffJpeg(bytes: Uint8Array, view: DataView): SniffedImage {
  let offset = 2;
  let width = 0;
  let height = 0;
  for (;;) {
    if (offset + 4 > bytes.length) throw truncated("JPEG", "it ends inside its header segments");
    if (bytes[offset] !== 0xff) throw truncated("JPEG", `no segment marker at byte ${offset}`);
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (offset + 2 + length > bytes.length) throw truncated("JPEG", "a header segment runs past the end");
    if (isStartOfFrame(marker)) {
      height = view.getUint16(offset + 5);
      width = view.getUint16(offset + 7);
    }
    if (marker === 0xda) break; // start of scan: entropy-coded data follows
    offset += 2 + length;
  }
  if (width === 0 || height === 0) throw truncated("JPEG", "no frame header before the scan");
  // The end-of-image marker closes the file; some encoders pad after it, so look near the end.
  const tail = bytes.subarray(Math.max(offset, bytes.length - 1024));
  let hasEoi = false;
  for (let i = tail.length - 2; i >= 0 && !hasEoi; i--) hasEoi = tail[i] === 0xff && tail[i + 1] === 0xd9;
  if (!hasEoi) throw truncated("JPEG", "the end-of-image marker is missing");
  return { contentType: "image/jpeg", extension: "jpg", width, height };
}

function sniffWebp(bytes: Uint8Array, view: DataView): SniffedImage {
  const riffSize = view.getUint32(4, true);
  if (riffSize + 8 > bytes.length) throw truncated("WebP", "the RIFF size exceeds the file");
  if (bytes.length < 30) throw truncated("WebP", "no image chunk");
  const chunk = ascii(bytes, 12, 4);
  let width: number;
  let height: number;
  if (chunk === "VP8 ") {
    width = view.getUint16(26, true) & 0x3fff;
    height = view.getUint16(28, true) & 0x3fff;
  } else if (chunk === "VP8L") {
    const bits = view.getUint32(21, true);
    width = (bits & 0x3fff) + 1;
    height = ((bits >> 14) & 0x3fff) + 1;
  } else if (chunk === "VP8X") {
    width = 1 + (bytes[24] | (bytes[25] << 8) | (bytes[26] << 16));
    height = 1 + (bytes[27] | (bytes[28] << 8) | (bytes[29] << 16));
  } else {
    throw truncated("WebP", `unknown first chunk "${chunk}"`);
  }
  return { contentType: "image/webp", extension: "webp", width, height };
}

function describeUnknown(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "SVG";
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "HTML";
  if (head.startsWith("gif8")) return "GIF";
  if (head.startsWith("%pdf")) return "PDF";
  return "an unrecognised format";
}

/**
 * Return the format and size of a JPEG, PNG or WebP; throw IMAGE_EMPTY, IMAGE_UNSUPPORTED_FORMAT
 * (listing the accepted types), IMAGE_DECODE for a truncated container, or IMAGE_TOO_LARGE past
 * maxPixels.
 *
 * @example
 * const { contentType } = sniffImage(bytes, { maxPixels: 25e6 });
 */
export function sniffImage(bytes: Uint8Array, options: { maxPixels: number }): SniffedImage {
  if (bytes.length === 0) throw new AlignSamError("IMAGE_EMPTY", "the uploaded image is empty");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let image: SniffedImage;
  if (startsWith(bytes, PNG_SIGNATURE)) image = sniffPng(bytes, view);
  else if (startsWith(bytes, [0xff, 0xd8, 0xff])) image = sniffJpeg(bytes, view);
  else if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") {
    image = sniffWebp(bytes, view);
  } else {
    throw new AlignSamError(
      "IMAGE_UNSUPPORTED_FORMAT",
      `the upload is ${describeUnknown(bytes)}; expected one of: ${ACCEPTED_IMAGE_TYPES.join(", ")}`,
      { valid: [...ACCEPTED_IMAGE_TYPES] },
    );
  }
  if (image.width <= 0 || image.height <= 0) throw truncated(image.extension, "its size is zero");
  if (image.width * image.height > options.maxPixels) {
    throw new AlignSamError(
      "IMAGE_TOO_LARGE",
      `the image is ${image.width}x${image.height}, more than the ${options.maxPixels} pixels accepted`,
      { width: image.width, height: image.height, maxPixels: options.maxPixels },
    );
  }
  return image;
}
