/** A binary mask, row-major, one byte per pixel: 1 = foreground, 0 = background. */
export interface BinaryMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A per-pixel foreground probability in [0, 1], row-major. */
export interface ProbabilityMask {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * A ground-truth label map: binary tasks use 0/1, class-index (VOC-style) maps use the class index,
 * and VOID (255) marks pixels that no metric counts.
 */
export interface LabelMap {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export const VOID_LABEL = 255;

export function createBinaryMask(width: number, height: number, data?: Uint8Array): BinaryMask {
  if (data && data.length !== width * height) {
    throw new RangeError(`mask data has ${data.length} values, expected ${width}x${height}`);
  }
  return { width, height, data: data ?? new Uint8Array(width * height) };
}

export function createProbabilityMask(width: number, height: number, data?: Float32Array): ProbabilityMask {
  if (data && data.length !== width * height) {
    throw new RangeError(`probability data has ${data.length} values, expected ${width}x${height}`);
  }
  return { width, height, data: data ?? new Float32Array(width * height) };
}
