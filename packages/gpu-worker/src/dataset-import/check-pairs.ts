/**
 * The pixel checks of a candidate pair: the image must decode (JPEG, PNG or WebP, not truncated,
 * within the pixel limit), the mask must be a readable PNG of the image's size; an empty mask is
 * kept with a warning. What passes is ready to store: bytes, the stored extension, the mask PNG.
 */

import { decodeWorkingImage, sniffImageFormat } from "@alignsam/core/image";
import { type DatasetImageExtension, type DatasetReportEntry, isAlignSamError } from "@alignsam/core/light";
import { type BinaryMask, decodeBinaryMaskPng, encodeMaskPng } from "@alignsam/core/mask";
import type { CocoPair } from "./coco-layout.ts";
import { type ArchiveFile, type CandidatePair, refusal } from "./layout.ts";

export interface CheckedPair {
  readonly id: string;
  readonly image: Uint8Array;
  readonly imageExt: DatasetImageExtension;
  readonly maskPng: Uint8Array;
  readonly emptyMask: boolean;
}

type Checked =
  | { ok: true; pair: CheckedPair; warnings: DatasetReportEntry[] }
  | { ok: false; entry: DatasetReportEntry };

const EXT: Record<string, DatasetImageExtension> = { jpeg: "jpg", png: "png", webp: "webp" };

/** Decode the image at a tiny working size: every byte is still read (truncation fails), few pixels kept. */
async function readImage(
  file: ArchiveFile,
  maxPixels: number,
): Promise<{ ext: DatasetImageExtension; width: number; height: number } | DatasetReportEntry> {
  const format = sniffImageFormat(file.bytes);
  const ext = format ? EXT[format] : undefined;
  if (!ext) {
    const what = format ? `a ${format.toUpperCase()} image` : "not an image";
    return refusal(
      file.path,
      "IMAGE_UNREADABLE",
      `${what}; images must be JPEG, PNG or WebP (pair not imported)`,
    );
  }
  try {
    const working = await decodeWorkingImage(file.bytes, { maxPixels, maxLongSide: 64 });
    return { ext, width: working.originalWidth, height: working.originalHeight };
  } catch (e) {
    const code = isAlignSamError(e, "IMAGE_TOO_LARGE") ? "IMAGE_TOO_LARGE" : "IMAGE_UNREADABLE";
    return refusal(file.path, code, `${(e as Error).message} (pair not imported)`);
  }
}

function emptyWarning(path: string): DatasetReportEntry {
  return refusal(path, "MASK_EMPTY", "the mask has no foreground pixel (kept: check the labelling)", true);
}

/** The pair is not imported, for the file at `path`. */
function refused(path: string, code: DatasetReportEntry["code"], message: string): Checked {
  return { ok: false, entry: refusal(path, code, `${message} (pair not imported)`) };
}

/** The pair passes: what to store, and the warning of an empty mask (reported at `path`). */
function kept(
  id: string,
  image: { bytes: Uint8Array; ext: DatasetImageExtension },
  mask: BinaryMask,
  maskPng: Uint8Array,
  path: string,
): Checked {
  const empty = !mask.data.some((v) => v !== 0);
  return {
    ok: true,
    pair: { id, image: image.bytes, imageExt: image.ext, maskPng, emptyMask: empty },
    warnings: empty ? [emptyWarning(path)] : [],
  };
}

/** Folders layout: the mask is the archive's PNG, stored as it came once it reads at the image's size. */
export async function checkFolderPair(pair: CandidatePair, maxPixels: number): Promise<Checked> {
  const image = await readImage(pair.image, maxPixels);
  if ("code" in image) return { ok: false, entry: image };
  if (sniffImageFormat(pair.mask.bytes) !== "png") {
    return refused(pair.mask.path, "MASK_UNREADABLE", "the mask is not a PNG");
  }
  let mask: BinaryMask;
  try {
    mask = await decodeBinaryMaskPng(pair.mask.bytes, { maxPixels });
  } catch (e) {
    return refused(pair.mask.path, "MASK_UNREADABLE", (e as Error).message);
  }
  if (mask.width !== image.width || mask.height !== image.height) {
    return refused(
      pair.mask.path,
      "SIZE_MISMATCH",
      `the mask is ${mask.width}x${mask.height} but its image is ${image.width}x${image.height}`,
    );
  }
  return kept(pair.id, { bytes: pair.image.bytes, ext: image.ext }, mask, pair.mask.bytes, pair.mask.path);
}

/** COCO layout: the rasterised mask is encoded as a PNG once the image's size matches the JSON's. */
export async function checkCocoPair(pair: CocoPair, maxPixels: number): Promise<Checked> {
  const image = await readImage(pair.image, maxPixels);
  if ("code" in image) return { ok: false, entry: image };
  if (image.width !== pair.width || image.height !== pair.height) {
    return refused(
      pair.image.path,
      "SIZE_MISMATCH",
      `the COCO file says ${pair.width}x${pair.height} but the image is ${image.width}x${image.height}`,
    );
  }
  const maskPng = await encodeMaskPng(pair.mask);
  return kept(pair.id, { bytes: pair.image.bytes, ext: image.ext }, pair.mask, maskPng, pair.image.path);
}
