/**
 * The action grid (paper Sec. 3.2, Eq. 3): the image is resized to S x S and cut into P x P patches;
 * action a is the centre of patch a, N = (S/P)^2 actions (paper: S = 800, P = 80, N = 100). Clicks
 * are sent to the segmenter in original-image pixels, so this module owns both directions.
 */
import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import type { Point } from "../models/ports.ts";

export const GridSpecSchema = z.object({
  /** Side of the square the image is resized to (paper: 800). */
  imageSize: z.number().int().positive(),
  /** Side of one patch (paper: 80). */
  patchSize: z.number().int().positive(),
});
export type GridSpec = z.infer<typeof GridSpecSchema>;

export const PAPER_GRID: GridSpec = { imageSize: 800, patchSize: 80 };

/** Cells per side (S / P). */
export function gridSide(grid: GridSpec): number {
  if (grid.imageSize % grid.patchSize !== 0) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `grid imageSize ${grid.imageSize} is not a multiple of patchSize ${grid.patchSize}`,
    );
  }
  return grid.imageSize / grid.patchSize;
}

/** Number of actions N = (S / P)^2. */
export function actionCount(grid: GridSpec): number {
  const g = gridSide(grid);
  return g * g;
}

/** Row and column of a cell index (row-major). */
export function cellRowCol(grid: GridSpec, cell: number): { row: number; col: number } {
  const g = gridSide(grid);
  if (!Number.isInteger(cell) || cell < 0 || cell >= g * g) {
    throw new AlignSamError("INVALID_ARGUMENT", `cell ${cell} is outside the ${g}x${g} grid`);
  }
  return { row: Math.floor(cell / g), col: cell % g };
}

/**
 * Centre of a cell in original-image pixel coordinates: the patch centre in the S x S frame, scaled
 * back by W/S and H/S (the resize is a plain stretch, as in the paper).
 */
export function cellCenter(grid: GridSpec, cell: number, imageWidth: number, imageHeight: number): Point {
  const { row, col } = cellRowCol(grid, cell);
  const half = grid.patchSize / 2;
  return {
    x: ((col * grid.patchSize + half) * imageWidth) / grid.imageSize,
    y: ((row * grid.patchSize + half) * imageHeight) / grid.imageSize,
  };
}

/** The cell whose patch holds an original-image pixel coordinate (clamped to the grid). */
export function pixelToCell(grid: GridSpec, point: Point, imageWidth: number, imageHeight: number): number {
  const g = gridSide(grid);
  const col = Math.min(
    g - 1,
    Math.max(0, Math.floor((point.x * grid.imageSize) / imageWidth / grid.patchSize)),
  );
  const row = Math.min(
    g - 1,
    Math.max(0, Math.floor((point.y * grid.imageSize) / imageHeight / grid.patchSize)),
  );
  return row * g + col;
}

/** Integer pixel a click lands on (for ground-truth lookups): the centre, floored and clamped. */
export function clickPixel(point: Point, imageWidth: number, imageHeight: number): { x: number; y: number } {
  return {
    x: Math.min(imageWidth - 1, Math.max(0, Math.floor(point.x))),
    y: Math.min(imageHeight - 1, Math.max(0, Math.floor(point.y))),
  };
}

/**
 * 1 for cells still available, 0 for clicked ones: the actor multiplies its distribution by this
 * (re-clicking a cell adds no information; the paper is silent, ALGORITHM.md settles it).
 */
export function availableCells(grid: GridSpec, clicked: Iterable<number>): Uint8Array {
  const mask = new Uint8Array(actionCount(grid)).fill(1);
  for (const c of clicked) {
    cellRowCol(grid, c);
    mask[c] = 0;
  }
  return mask;
}
