/**
 * CLIP image preprocessing (resize, optional centre crop, normalise to CHW) and the way back: a map
 * over the model's patch grid resampled onto any grid over the original image.
 */
import sharp from "sharp";
import type { RgbImage } from "../../image/types.ts";
import type { ClipSurgeryManifest } from "../manifest/schema.ts";
import type { SimilarityMap } from "../ports.ts";

/** How original-image pixels land in the model frame: m = u * scale - offset, per axis. */
export interface ClipFrame {
  readonly size: number;
  readonly scaleX: number;
  readonly scaleY: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

export interface ClipInput {
  /** 1 x 3 x size x size, CHW, normalised. */
  readonly tensor: Float32Array;
  readonly frame: ClipFrame;
}

/** Resizes (bicubic or bilinear, antialiased by libvips) and normalises an image for the CLIP image model. */
export async function clipPreprocess(
  image: RgbImage,
  spec: ClipSurgeryManifest["image"],
): Promise<ClipInput> {
  const { size, normalisation } = spec;
  const kernel = spec.interpolation === "bicubic" ? "cubic" : "linear";
  const crop = spec.resize === "centre-crop";
  const raw = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(size, size, { fit: crop ? "cover" : "fill", position: "centre", kernel })
    .raw()
    .toBuffer();
  const frame: ClipFrame = crop
    ? (() => {
        const scale = size / Math.min(image.width, image.height);
        return {
          size,
          scaleX: scale,
          scaleY: scale,
          offsetX: (image.width * scale - size) / 2,
          offsetY: (image.height * scale - size) / 2,
        };
      })()
    : { size, scaleX: size / image.width, scaleY: size / image.height, offsetX: 0, offsetY: 0 };
  const unit = normalisation.inputRange === "0-1" ? 1 / 255 : 1;
  const tensor = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    const m = normalisation.mean[c];
    const inv = 1 / normalisation.std[c];
    for (let i = 0; i < size * size; i++) tensor[c * size * size + i] = (raw[i * 3 + c] * unit - m) * inv;
  }
  return { tensor, frame };
}

/**
 * Samples a side x side patch map at the centres of a grid laid over the original image, bilinear
 * with edge clamping. For the stretch frame this is exactly F.interpolate(bilinear,
 * align_corners=False) to the grid size, as get_similarity_map does to the image size.
 */
export function resampleToGrid(
  map: Float32Array,
  side: number,
  frame: ClipFrame,
  image: { width: number; height: number },
  grid: { width: number; height: number },
): SimilarityMap {
  const out = new Float32Array(grid.width * grid.height);
  const coord = (g: number, cells: number, extent: number, scale: number, offset: number) => {
    const u = ((g + 0.5) * extent) / cells;
    const m = u * scale - offset;
    const p = (m / frame.size) * side - 0.5;
    const clamped = Math.min(Math.max(p, 0), side - 1);
    const lo = Math.floor(clamped);
    return { lo, hi: Math.min(lo + 1, side - 1), w: clamped - lo };
  };
  for (let gy = 0; gy < grid.height; gy++) {
    const y = coord(gy, grid.height, image.height, frame.scaleY, frame.offsetY);
    for (let gx = 0; gx < grid.width; gx++) {
      const x = coord(gx, grid.width, image.width, frame.scaleX, frame.offsetX);
      const top = map[y.lo * side + x.lo] * (1 - x.w) + map[y.lo * side + x.hi] * x.w;
      const bottom = map[y.hi * side + x.lo] * (1 - x.w) + map[y.hi * side + x.hi] * x.w;
      out[gy * grid.width + gx] = top * (1 - y.w) + bottom * y.w;
    }
  }
  return { width: grid.width, height: grid.height, data: out };
}
