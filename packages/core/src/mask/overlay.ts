import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import type { PointLabel } from "../geometry/point.ts";
import { encodeRgbPng } from "../image/encode.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "./types.ts";

/** A prompt point to mark on the overlay, in image pixel coordinates. */
export interface OverlayPoint {
  readonly x: number;
  readonly y: number;
  /** 1 = positive (green +), 0 = negative (red −). */
  readonly label: PointLabel;
}

const rgb = z.tuple([
  z.number().int().min(0).max(255),
  z.number().int().min(0).max(255),
  z.number().int().min(0).max(255),
]);

/** Overlay options, validated because they may come from API requests. */
export const overlayOptionsSchema = z.object({
  /** Mask tint. @default [30, 144, 255] (SAM's demo blue) */
  color: rgb.default([30, 144, 255]),
  /** Tint opacity over the image, 0..1. @default 0.5 */
  opacity: z.number().min(0).max(1).default(0.5),
  /** Contour colour; null draws no contour. @default the tint colour, opaque */
  contourColor: rgb.nullable().optional(),
  /** Contour thickness in pixels. @default about 0.4% of the longer side, at least 1 */
  contourWidth: z.number().int().min(1).max(64).optional(),
  /** Half-length of a marker arm in pixels. @default about 2.5% of the shorter side, at least 3 */
  markerRadius: z.number().int().min(1).max(512).optional(),
});
export type OverlayOptions = z.input<typeof overlayOptionsSchema>;

export const POSITIVE_MARKER_COLOR = [40, 220, 40] as const;
export const NEGATIVE_MARKER_COLOR = [230, 40, 40] as const;
export const MARKER_OUTLINE_COLOR = [16, 16, 16] as const;

type Colour = readonly [number, number, number];

/** A mutable RGB canvas with clipped rectangle fills: all the drawing an overlay needs. */
class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;

  constructor(image: RgbImage) {
    this.width = image.width;
    this.height = image.height;
    this.data = image.data.slice();
  }

  fillRect(x0: number, y0: number, x1: number, y1: number, c: Colour): void {
    const xa = Math.max(0, x0);
    const ya = Math.max(0, y0);
    const xb = Math.min(this.width - 1, x1);
    const yb = Math.min(this.height - 1, y1);
    const { data, width } = this;
    const [r, g, b] = c;
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const o = (y * width + x) * 3;
        data[o] = r;
        data[o + 1] = g;
        data[o + 2] = b;
      }
    }
  }
}

function tint(canvas: Canvas, mask: BinaryMask, colour: Colour, opacity: number): void {
  const { data } = canvas;
  const inside = mask.data;
  const n = inside.length;
  const keep = 1 - opacity;
  const tinted = [colour[0] * opacity, colour[1] * opacity, colour[2] * opacity];
  for (let i = 0; i < n; i++) {
    if (!inside[i]) continue;
    const o = i * 3;
    for (let c = 0; c < 3; c++) data[o + c] = Math.round(data[o + c] * keep + tinted[c]);
  }
}

/** Draws a square of side `width` on every boundary pixel: foreground with a background 4-neighbour or on the image border. */
function drawContour(canvas: Canvas, mask: BinaryMask, colour: Colour, width: number): void {
  const lo = Math.floor((width - 1) / 2);
  const hi = width - 1 - lo;
  const { width: w, height: h, data } = mask;
  for (let y = 0; y < h; y++) {
    const edgeRow = y === 0 || y === h - 1;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      const boundary =
        edgeRow || x === 0 || x === w - 1 || !data[i - 1] || !data[i + 1] || !data[i - w] || !data[i + w];
      if (boundary) canvas.fillRect(x - lo, y - lo, x + hi, y + hi, colour);
    }
  }
}

/** A + (positive) or − (negative) marker with a dark outline, centred on the point's pixel. */
function drawMarker(canvas: Canvas, point: OverlayPoint, radius: number): void {
  const cx = Math.min(canvas.width - 1, Math.max(0, Math.floor(point.x)));
  const cy = Math.min(canvas.height - 1, Math.max(0, Math.floor(point.y)));
  const half = Math.max(1, Math.round(radius / 4)); // arm half-thickness
  const outline = Math.max(1, Math.round(half / 2));
  const positive = point.label === 1;
  const colour = positive ? POSITIVE_MARKER_COLOR : NEGATIVE_MARKER_COLOR;
  for (const [pad, c] of [
    [outline, MARKER_OUTLINE_COLOR],
    [0, colour],
  ] as const) {
    canvas.fillRect(cx - radius - pad, cy - half - pad, cx + radius + pad, cy + half + pad, c);
    if (positive) canvas.fillRect(cx - half - pad, cy - radius - pad, cx + half + pad, cy + radius + pad, c);
  }
}

/**
 * Renders a mask over its image as a PNG for people to judge a result: the mask tinted, its
 * contour drawn, and the prompt points as + (positive, green) and − (negative, red) markers
 * outlined in near-black so they read on any background. Marker and contour sizes scale with the
 * image. Drawn straight into the pixel buffer: no canvas dependency.
 * @example
 * await writeFile("overlay.png", await renderOverlay(image, mask, [{ x: 120, y: 80, label: 1 }]));
 */
export async function renderOverlay(
  image: RgbImage,
  mask: BinaryMask,
  points: readonly OverlayPoint[] = [],
  options: OverlayOptions = {},
): Promise<Uint8Array> {
  if (image.data.length !== image.width * image.height * 3) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `RGB image ${image.width}x${image.height} has ${image.data.length} bytes`,
    );
  }
  if (
    mask.width !== image.width ||
    mask.height !== image.height ||
    mask.data.length !== mask.width * mask.height
  ) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `mask ${mask.width}x${mask.height} does not match image ${image.width}x${image.height}`,
    );
  }
  const parsed = overlayOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new AlignSamError("INVALID_ARGUMENT", `invalid overlay options: ${parsed.error.message}`);
  }
  const o = parsed.data;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || (p.label !== 0 && p.label !== 1)) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `invalid point ${JSON.stringify(p)}: x, y finite, label 0 or 1`,
      );
    }
  }
  const longer = Math.max(image.width, image.height);
  const shorter = Math.min(image.width, image.height);
  const canvas = new Canvas(image);
  tint(canvas, mask, o.color, o.opacity);
  const contourColor = o.contourColor === undefined ? o.color : o.contourColor;
  if (contourColor !== null) {
    drawContour(canvas, mask, contourColor, o.contourWidth ?? Math.max(1, Math.round(longer / 250)));
  }
  const radius = o.markerRadius ?? Math.max(3, Math.round(shorter / 40));
  for (const p of points) drawMarker(canvas, p, radius);
  return encodeRgbPng({ width: canvas.width, height: canvas.height, data: canvas.data });
}
