/**
 * Jobs decode their images at a working size (core's decodeWorkingImage: at most 2048 px on the
 * long side by default, shrunk by libvips while decoding), so one job's pixels stay bounded however
 * large the upload, and no backend loses detail (SAM reads 1024 px, the classic backend 320-640).
 * A segment job still answers at the input's size: mask.png and rle.json from the mask scaled up
 * (1 byte a pixel), probability.png scaled inside libvips, clicks in the input's coordinates.
 * Metrics and labelled sets work at the working size: a ground truth is scaled down to it.
 * Images that fit are untouched, so their outputs are exactly what they were.
 */
import {
  DEFAULT_MAX_PIXELS,
  DEFAULT_WORKING_LONG_SIDE,
  decodeWorkingImage,
  resizeGreyPngNearest,
  resizePlaneNearest,
  type WorkingImage,
} from "@alignsam/core/image";
import type { TrajectoryClick } from "@alignsam/core/light";
import type { BinaryMask, LabelMap } from "@alignsam/core/mask";

/** How large an image a job accepts and how large it works at (ALIGNSAM_MAX_IMAGE_PIXELS, ALIGNSAM_WORKING_IMAGE_SIDE). */
export interface ImageLimits {
  readonly maxPixels: number;
  readonly maxLongSide: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxPixels: DEFAULT_MAX_PIXELS,
  maxLongSide: DEFAULT_WORKING_LONG_SIDE,
};

/**
 * Decode an uploaded or dataset image for a job (errors as core's decodeImage).
 * @example
 * const working = await decodeForJob(bytes, ctx.imageLimits);
 */
export function decodeForJob(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<WorkingImage> {
  return decodeWorkingImage(bytes, { maxPixels: limits.maxPixels, maxLongSide: limits.maxLongSide });
}

/**
 * The mask at the input's size, nearest-upscaled: every backend already paints it from a coarser
 * grid (256 x 256 logits, 320 px superpixels), so no detail is invented or lost.
 */
export function maskAtOriginalSize(mask: BinaryMask, working: WorkingImage): BinaryMask {
  if (!working.scaled) return mask;
  const W = working.originalWidth;
  const H = working.originalHeight;
  return { width: W, height: H, data: resizePlaneNearest(mask.data, mask.width, mask.height, W, H) };
}

/** A working-size greyscale PNG (mask or probability map) at the input's size, scaled in libvips. */
export function pngAtOriginalSize(png: Uint8Array, working: WorkingImage): Promise<Uint8Array> {
  return working.scaled
    ? resizeGreyPngNearest(png, working.originalWidth, working.originalHeight)
    : Promise.resolve(png);
}

/** Clicks in the input's pixel coordinates. */
export function trajectoryAtOriginalSize(
  trajectory: readonly TrajectoryClick[],
  working: WorkingImage,
): readonly TrajectoryClick[] {
  if (!working.scaled) return trajectory;
  const sx = working.originalWidth / working.image.width;
  const sy = working.originalHeight / working.image.height;
  return trajectory.map((s) => ({ ...s, x: s.x * sx, y: s.y * sy }));
}

/**
 * A ground-truth label map at the input's size (the caller checks that) brought to the working
 * size by nearest sampling, so class indices and VOID stay what they are.
 */
export function labelsAtWorkingSize(labels: LabelMap, working: WorkingImage): LabelMap {
  if (!working.scaled) return labels;
  const { width, height } = working.image;
  return { width, height, data: resizePlaneNearest(labels.data, labels.width, labels.height, width, height) };
}
