import sharp from "sharp";
import { AlignSamError } from "../errors.ts";
import { DEFAULT_MAX_PIXELS } from "../image/decode.ts";
import { sniffImageFormat } from "../image/sniff.ts";
import { PNG_COLOUR_TYPE, type PngHeader, readPngHeader } from "./png-chunks.ts";
import type { BinaryMask, LabelMap, ProbabilityMask } from "./types.ts";
import { VOID_LABEL } from "./types.ts";

export interface MaskDecodeOptions {
  /**
   * Refuse masks with more pixels than this (checked from the header, before decoding).
   * @default 25_000_000 (DEFAULT_MAX_PIXELS)
   */
  maxPixels?: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Checks the bytes are a PNG of acceptable size and returns its header. */
function pngHeaderOf(bytes: Uint8Array, maxPixels: number): PngHeader {
  if (bytes.length === 0) throw new AlignSamError("MASK_DECODE", "the mask is empty (zero bytes)");
  const header = readPngHeader(bytes);
  if (!header) {
    const format = sniffImageFormat(bytes);
    throw new AlignSamError(
      "MASK_DECODE",
      format && format !== "png"
        ? `masks must be PNG (lossless), got ${format.toUpperCase()}`
        : "the mask is not a readable PNG (bad signature or header)",
      { format },
    );
  }
  const pixels = header.width * header.height;
  if (pixels === 0) throw new AlignSamError("MASK_DECODE", "the mask PNG has zero width or height");
  if (pixels > maxPixels) {
    throw new AlignSamError(
      "IMAGE_TOO_LARGE",
      `the mask is ${header.width}x${header.height} = ${pixels} pixels, more than the limit of ${maxPixels}`,
      { width: header.width, height: header.height, pixels, maxPixels },
    );
  }
  return header;
}

interface RawPixels {
  width: number;
  height: number;
  channels: number;
  /** 8- or 16-bit samples, interleaved. */
  data: Uint8Array | Uint16Array;
}

/**
 * Decodes at the file's own depth, no orientation: masks are data. Grey files stay one channel
 * (sharp would otherwise expand them to sRGB); 16-bit files stay 16-bit.
 */
async function rawPixels(bytes: Uint8Array, header: PngHeader, maxPixels: number): Promise<RawPixels> {
  const isGrey =
    header.colourType === PNG_COLOUR_TYPE.grey || header.colourType === PNG_COLOUR_TYPE.greyAlpha;
  const space = isGrey
    ? header.bitDepth === 16
      ? "grey16"
      : "b-w"
    : header.bitDepth === 16
      ? "rgb16"
      : "srgb";
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "truncated" })
      .toColourspace(space)
      .raw({ depth: header.bitDepth === 16 ? "ushort" : "uchar" })
      .toBuffer({ resolveWithObject: true });
    const wide = data.length === info.width * info.height * info.channels * 2;
    const samples = wide
      ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length))
      : new Uint8Array(data.buffer, data.byteOffset, data.length);
    return { width: info.width, height: info.height, channels: info.channels, data: samples };
  } catch (e) {
    throw new AlignSamError("MASK_DECODE", `could not decode the mask PNG: ${message(e)}`);
  }
}

/** Maps decoded palette colours back to their indices (first index wins for repeated colours). */
function paletteIndices(raw: RawPixels, palette: Uint8Array): Uint8Array {
  const lookup = new Map<number, number>();
  for (let i = palette.length / 3 - 1; i >= 0; i--) {
    lookup.set((palette[i * 3] << 16) | (palette[i * 3 + 1] << 8) | palette[i * 3 + 2], i);
  }
  const n = raw.width * raw.height;
  const out = new Uint8Array(n);
  const { data, channels } = raw;
  if (channels < 3) throw new AlignSamError("MASK_DECODE", `palette PNG decoded to ${channels} channels`);
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const index = lookup.get((data[o] << 16) | (data[o + 1] << 8) | data[o + 2]);
    if (index === undefined) {
      throw new AlignSamError(
        "MASK_DECODE",
        `palette PNG pixel ${i % raw.width},${Math.floor(i / raw.width)} has a colour not in its palette`,
      );
    }
    out[i] = index;
  }
  return out;
}

/**
 * Reads grey values as labels; colour PNGs must be grey in disguise (R = G = B). Grey files of
 * 1, 2 or 4 bits are expanded to 8 bits by the decoder (1 -> 255), so the file's own sample is
 * recovered by dividing the expansion factor back out.
 */
function greyLabels(raw: RawPixels, bitDepth: number): Uint8Array {
  const n = raw.width * raw.height;
  const out = new Uint8Array(n);
  const { data, channels } = raw;
  const colour = channels >= 3;
  const expansion = bitDepth < 8 ? 255 / (2 ** bitDepth - 1) : 1;
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const v = expansion === 1 ? data[o] : Math.round(data[o] / expansion);
    if (colour && (data[o + 1] !== v || data[o + 2] !== v)) {
      throw new AlignSamError(
        "MASK_DECODE",
        "the mask is a colour PNG without a palette; label masks must be grey or palette PNGs",
      );
    }
    if (v > 255) {
      throw new AlignSamError("MASK_DECODE", `16-bit label PNG holds value ${v}; labels must be 0..255`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Decodes a ground-truth label PNG to its raw values: grey PNGs give their grey levels, palette
 * PNGs (VOC style) their palette indices, so class ids survive; 255 is VOID_LABEL. Binary 0/255
 * masks therefore come out as 0/255 here: use decodeBinaryMaskPng for those.
 *
 * Palette indices are recovered by matching each decoded colour against the PLTE chunk, because
 * sharp only hands out expanded colours; a palette that repeats a colour maps it to its first
 * index.
 * @example
 * const labels = await decodeLabelPng(await readFile("SegmentationClass/2007_000032.png"));
 */
export async function decodeLabelPng(bytes: Uint8Array, options: MaskDecodeOptions = {}): Promise<LabelMap> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = pngHeaderOf(bytes, maxPixels);
  const raw = await rawPixels(bytes, header, maxPixels);
  if (header.colourType === PNG_COLOUR_TYPE.palette) {
    if (!header.palette) throw new AlignSamError("MASK_DECODE", "palette PNG without a PLTE chunk");
    return { width: raw.width, height: raw.height, data: paletteIndices(raw, header.palette) };
  }
  return { width: raw.width, height: raw.height, data: greyLabels(raw, header.bitDepth) };
}

/**
 * Decodes a binary mask PNG (grey 0/255 as the datasets ship them, or colour): a pixel is
 * foreground when its brightest colour channel is at least half scale (>= 128 of 255, or
 * >= 32896 of 65535 in 16-bit files); alpha is ignored. For palette PNGs the index decides
 * instead (foreground = any index other than 0 and VOID 255), since a palette's colours need not
 * be bright.
 * @example
 * const gt = await decodeBinaryMaskPng(await readFile("masks/1.png"));
 */
export async function decodeBinaryMaskPng(
  bytes: Uint8Array,
  options: MaskDecodeOptions = {},
): Promise<BinaryMask> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const header = pngHeaderOf(bytes, maxPixels);
  if (header.colourType === PNG_COLOUR_TYPE.palette) {
    const labels = await decodeLabelPng(bytes, options);
    const data = new Uint8Array(labels.data.length);
    for (let i = 0; i < data.length; i++) {
      data[i] = labels.data[i] !== 0 && labels.data[i] !== VOID_LABEL ? 1 : 0;
    }
    return { width: labels.width, height: labels.height, data };
  }
  const raw = await rawPixels(bytes, header, maxPixels);
  const threshold = raw.data instanceof Uint16Array ? 128 * 257 : 128;
  const colours = raw.channels >= 3 ? 3 : 1;
  const n = raw.width * raw.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * raw.channels;
    let v = raw.data[o];
    if (colours === 3) v = Math.max(v, raw.data[o + 1], raw.data[o + 2]);
    out[i] = v >= threshold ? 1 : 0;
  }
  return { width: raw.width, height: raw.height, data: out };
}

/**
 * 8-bit grey, zlib level 6: on real masks and probability maps (640 x 400) level 9 took 4-20 ms
 * and 20-24 ms, level 6 about 2 and 3.5 ms, for files 10-50% larger (a few KB); the pixels are
 * the same at any level.
 */
function greyPng(width: number, height: number, data: Uint8Array): Promise<Uint8Array> {
  return sharp(data, { raw: { width, height, channels: 1 } })
    .toColourspace("b-w")
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

function checkShape(kind: string, width: number, height: number, length: number): void {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width <= 0 ||
    height <= 0 ||
    length !== width * height
  ) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `${kind} ${width}x${height} has ${length} values, expected ${width * height}`,
    );
  }
}

/**
 * Encodes a binary mask as an 8-bit grey PNG with 0 and 255, the datasets' own convention, so a
 * predicted mask opens in any viewer and reads back with decodeBinaryMaskPng.
 * @example
 * await writeFile("pred.png", await encodeMaskPng(mask));
 */
export async function encodeMaskPng(mask: BinaryMask): Promise<Uint8Array> {
  checkShape("mask", mask.width, mask.height, mask.data.length);
  // One read of `data`: a backend may hand out a lazily painted mask whose `data` is a getter, and
  // a getter call per pixel cost more than painting it (classic backend, ~50 ms per image).
  const bits = mask.data;
  const grey = new Uint8Array(bits.length);
  for (let i = 0; i < grey.length; i++) grey[i] = bits[i] ? 255 : 0;
  return greyPng(mask.width, mask.height, grey);
}

/**
 * Encodes a probability map as an 8-bit grey PNG, value round(p * 255) with p clamped to [0, 1]
 * (NaN as 0), for inspecting soft predictions.
 * @example
 * await writeFile("prob.png", await encodeProbabilityPng(probability));
 */
export async function encodeProbabilityPng(p: ProbabilityMask): Promise<Uint8Array> {
  checkShape("probability map", p.width, p.height, p.data.length);
  const values = p.data;
  const grey = new Uint8Array(values.length);
  for (let i = 0; i < grey.length; i++) {
    const v = values[i];
    grey[i] = v > 0 ? Math.round(Math.min(v, 1) * 255) : 0;
  }
  return greyPng(p.width, p.height, grey);
}
