/**
 * The one grey-level conversion of the tree, shared by the training-free baselines (from bytes) and
 * the classic encoder's defocus cue (from resampled floats), so both see the same luma.
 */

/**
 * ITU-R BT.601 luma in the input's units (0-255 for bytes) of `pixels` interleaved RGB values: the
 * weights sharp and OpenCV use, so baseline numbers stay reproducible against them.
 */
export function lumaBt601(rgb: ArrayLike<number>, pixels: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    out[i] = 0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2];
  }
  return out;
}
