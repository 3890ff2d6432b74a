/**
 * Reads one image/mask pair into memory, checking that they describe the same pixels. Images go
 * through decodeImage (image/decode.ts), masks through decodeBinaryMaskPng (mask/png.ts: grey
 * 0/255 PNGs, foreground >= 128), so the datasets are read exactly like uploaded inputs.
 */
import { readFile } from "node:fs/promises";
import { AlignSamError } from "../errors.ts";
import { type DecodeOptions, decodeImage } from "../image/decode.ts";
import type { RgbImage } from "../image/types.ts";
import { decodeBinaryMaskPng } from "../mask/png.ts";
import { resizeMaskNearest } from "../mask/resize.ts";
import type { BinaryMask, LabelMap } from "../mask/types.ts";
import type { DatasetPair } from "./loader.ts";

export interface LoadPairOptions extends DecodeOptions {
  /**
   * Compare image and mask sizes. A mismatch means the mask does not describe this image (a wrong
   * file, or a resized copy), and scoring it would be silently wrong.
   * @default true
   */
  checkSize?: boolean;
  /**
   * On a size mismatch, resize the mask to the image with nearest-neighbour instead of failing.
   * @default false
   */
  resizeMask?: boolean;
}

/** A pair after loading: the image and its ground truth (a 0/1 mask here; evaluation also takes label maps). */
export interface LoadedPair<M extends BinaryMask | LabelMap = BinaryMask> {
  readonly image: RgbImage;
  readonly mask: M;
}

/** Runs a decode, prefixing any AlignSamError message with which pair and file it was about. */
async function withContext<T>(where: string, decode: () => Promise<T>): Promise<T> {
  try {
    return await decode();
  } catch (e) {
    if (e instanceof AlignSamError) throw new AlignSamError(e.code, `${where}: ${e.message}`, e.details);
    throw e;
  }
}

async function readBytes(path: string, id: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `pair "${id}": cannot read the ${what} ${path}: ${(e as Error).message}`,
      {
        id,
        path,
      },
    );
  }
}

/**
 * Decodes a pair's image (RGB, EXIF orientation applied) and mask (0/1).
 * @throws AlignSamError DATASET_MISMATCH when the sizes differ (unless resizeMask), IMAGE_DECODE /
 *   MASK_DECODE when a file is not a readable image.
 * @example const { image, mask } = await loadPair(dataset.pairs[0]);
 */
export async function loadPair(pair: DatasetPair, options: LoadPairOptions = {}): Promise<LoadedPair> {
  const { checkSize = true, resizeMask = false, ...decodeOptions } = options;
  const [imageBytes, maskBytes] = await Promise.all([
    readBytes(pair.imagePath, pair.id, "image"),
    readBytes(pair.maskPath, pair.id, "mask"),
  ]);
  const where = (path: string) => `pair "${pair.id}" (${path})`;
  const image = await withContext(where(pair.imagePath), () => decodeImage(imageBytes, decodeOptions));
  let mask = await withContext(where(pair.maskPath), () => decodeBinaryMaskPng(maskBytes, decodeOptions));
  if (checkSize && (mask.width !== image.width || mask.height !== image.height)) {
    if (!resizeMask) {
      throw new AlignSamError(
        "DATASET_MISMATCH",
        `pair "${pair.id}": the image is ${image.width}x${image.height} but the mask is ${mask.width}x${mask.height}; fix the files or pass resizeMask to resize the mask (nearest)`,
        { id: pair.id, image: [image.width, image.height], mask: [mask.width, mask.height] },
      );
    }
    mask = resizeMaskNearest(mask, image.width, image.height);
  }
  return { image, mask };
}
