/**
 * The report's gallery: which images to show (best, median and worst by a per-image metric) and
 * their thumbnails (photo | ground truth | prediction) as data: URIs, downscaled with sharp to about
 * 160 px so that a report with a gallery stays a few hundred kilobytes. Clicks are not burnt into
 * the pixels: they travel as thumbnail coordinates and the HTML draws them as numbered SVG markers,
 * which stay legible at any thumbnail size.
 */
import sharp from "sharp";
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import { renderOverlay } from "../../mask/overlay.ts";
import { type BinaryMask, type LabelMap, VOID_LABEL } from "../../mask/types.ts";
import type { PointLabel } from "../../models/ports.ts";
import { higherIsBetter } from "../report.ts";
import type { GalleryCase, GalleryMode, GalleryPanels, GalleryRank } from "./report-model.ts";

/** Longer side of a gallery thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 160;

/**
 * The best, median and worst records by `metric` (ties keep input order; non-finite values are
 * skipped). Fewer than three images give fewer cases, never one image twice.
 * @example pickGalleryCases(records, "mIoU").map((c) => c.rank) // ["best", "median", "worst"]
 */
export function pickGalleryCases(
  records: readonly { readonly id: string; readonly metrics: Readonly<Record<string, number | null>> }[],
  metric = "mIoU",
): GalleryCase[] {
  const finite = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);
  const sign = higherIsBetter(metric) ? -1 : 1;
  const ranked = records
    .flatMap((r) => {
      const v = r.metrics[metric];
      return finite(v) ? [{ id: r.id, metrics: r.metrics, v }] : [];
    })
    .map((r, i) => ({ r, i }))
    .sort((a, b) => sign * (a.r.v - b.r.v) || a.i - b.i)
    .map(({ r }) => r);
  if (ranked.length === 0) return [];
  const picks: [GalleryRank, number][] = [
    ["best", 0],
    ["median", Math.floor((ranked.length - 1) / 2)],
    ["worst", ranked.length - 1],
  ];
  const seen = new Set<number>();
  const cases: GalleryCase[] = [];
  for (const [rank, index] of picks) {
    if (seen.has(index)) continue;
    seen.add(index);
    const metrics = Object.fromEntries(
      Object.entries(ranked[index].metrics).filter((e): e is [string, number] => finite(e[1])),
    );
    cases.push({ rank, id: ranked[index].id, metrics });
  }
  return cases;
}

/** What a gallery thumbnail is made of: one image, its truth, the prediction and the clicks. */
export interface GalleryInput {
  readonly image: RgbImage;
  readonly truth: BinaryMask | LabelMap;
  readonly prediction: BinaryMask;
  /** In image pixel coordinates, in click order; `step` numbers the marker (default: 1, 2, ...). */
  readonly clicks: readonly {
    readonly x: number;
    readonly y: number;
    readonly label: PointLabel;
    readonly step?: number;
  }[];
}

/** Thumbnail size that keeps the aspect ratio with the longer side at most `size`. */
function thumbnailSize(width: number, height: number, size: number): { width: number; height: number } {
  const k = Math.min(1, size / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/** RGB pixels downscaled with sharp and encoded as a data: URI (JPEG for photos, PNG for masks). */
async function rgbThumbnail(
  image: RgbImage,
  size: { width: number; height: number },
  format: "jpeg" | "png",
): Promise<string> {
  const pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  }).resize(size.width, size.height, { fit: "fill", kernel: format === "png" ? "nearest" : "lanczos3" });
  const bytes =
    format === "jpeg"
      ? await pipeline.jpeg({ quality: 78 }).toBuffer()
      : await pipeline.png({ compressionLevel: 9, palette: true }).toBuffer();
  return `data:image/${format};base64,${bytes.toString("base64")}`;
}

/** A mask as a picture: foreground white, background black, VOID (255) mid grey. */
function maskPicture(mask: BinaryMask | LabelMap): RgbImage {
  const data = new Uint8Array(mask.width * mask.height * 3);
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i];
    const grey = v === VOID_LABEL ? 128 : v > 0 ? 255 : 0;
    data[i * 3] = grey;
    data[i * 3 + 1] = grey;
    data[i * 3 + 2] = grey;
  }
  return { width: mask.width, height: mask.height, data };
}

/** Decodes the PNG that renderOverlay returns back to raw RGB for resizing. */
async function pngToRgb(png: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/**
 * The thumbnails of one case. "images": photo, truth mask, prediction tinted over the photo;
 * "masks-only": truth and prediction masks, no photo. Click coordinates are scaled to the thumbnail.
 * @example const panels = await renderGalleryPanels({ image, truth, prediction, clicks }, "images");
 */
export async function renderGalleryPanels(
  input: GalleryInput,
  mode: Exclude<GalleryMode, "none">,
  size = THUMBNAIL_SIZE,
): Promise<GalleryPanels> {
  const { image, truth, prediction } = input;
  for (const m of [truth, prediction]) {
    if (m.width !== image.width || m.height !== image.height) {
      throw new AlignSamError(
        "MASK_SHAPE",
        `gallery mask ${m.width}x${m.height} does not match image ${image.width}x${image.height}`,
      );
    }
  }
  const thumb = thumbnailSize(image.width, image.height, size);
  const predictionPicture =
    mode === "images" ? await pngToRgb(await renderOverlay(image, prediction)) : maskPicture(prediction);
  const kx = thumb.width / image.width;
  const ky = thumb.height / image.height;
  return {
    ...thumb,
    ...(mode === "images" ? { image: await rgbThumbnail(image, thumb, "jpeg") } : {}),
    truth: await rgbThumbnail(maskPicture(truth), thumb, "png"),
    prediction: await rgbThumbnail(predictionPicture, thumb, mode === "images" ? "jpeg" : "png"),
    clicks: input.clicks.map((c, i) => ({
      x: Math.round(c.x * kx * 10) / 10,
      y: Math.round(c.y * ky * 10) / 10,
      label: c.label,
      order: c.step ?? i + 1,
    })),
  };
}

/**
 * Fills in the panels of the picked cases by running `segment` on each again (the cases come from
 * stored per-image metrics, which hold no clicks). `load` gives the image and truth of an id.
 * Mode "none" returns the cases unchanged without loading anything.
 */
export async function withGalleryPanels(
  cases: readonly GalleryCase[],
  mode: GalleryMode,
  load: (id: string) => Promise<{ image: RgbImage; truth: BinaryMask | LabelMap }>,
  segment: (
    id: string,
    image: RgbImage,
  ) => Promise<{ prediction: BinaryMask; clicks: GalleryInput["clicks"] }>,
  size = THUMBNAIL_SIZE,
): Promise<GalleryCase[]> {
  if (mode === "none") return [...cases];
  const out: GalleryCase[] = [];
  for (const c of cases) {
    const { image, truth } = await load(c.id);
    const { prediction, clicks } = await segment(c.id, image);
    out.push({ ...c, panels: await renderGalleryPanels({ image, truth, prediction, clicks }, mode, size) });
  }
  return out;
}
