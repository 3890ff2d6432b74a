/**
 * sRGB (D65) to CIE-Lab. Lab is the colour space where Euclidean distance roughly follows perceived
 * difference, which is what superpixel clustering and graph edge weights compare.
 */

function srgbToLinear(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116;
}

/** Lab planes (L in [0, 100], a and b roughly [-100, 100]) of an interleaved float RGB image (0-255). */
export function rgbToLab(
  rgb: Float32Array,
  pixels: number,
): { L: Float32Array; a: Float32Array; b: Float32Array } {
  const L = new Float32Array(pixels);
  const a = new Float32Array(pixels);
  const b = new Float32Array(pixels);
  // Reference white D65.
  const xn = 0.95047;
  const zn = 1.08883;
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    const r = srgbToLinear(rgb[j]);
    const g = srgbToLinear(rgb[j + 1]);
    const bl = srgbToLinear(rgb[j + 2]);
    const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * bl) / xn;
    const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * bl;
    const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * bl) / zn;
    const fx = labF(x);
    const fy = labF(y);
    const fz = labF(z);
    L[i] = 116 * fy - 16;
    a[i] = 500 * (fx - fy);
    b[i] = 200 * (fy - fz);
  }
  return { L, a, b };
}
