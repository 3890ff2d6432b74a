/** An 8-bit RGB image, interleaved row-major (HWC): pixel (x, y) channel c at (y * width + x) * 3 + c. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A float image with any channel count, interleaved row-major (HWC). */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

export function createRgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  const size = width * height * 3;
  if (data && data.length !== size) {
    throw new RangeError(`RGB data has ${data.length} bytes, expected ${width}x${height}x3 = ${size}`);
  }
  return { width, height, data: data ?? new Uint8Array(size) };
}
