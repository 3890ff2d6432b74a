/**
 * Mask <-> COCO polygon lists. Coordinates are in pixels with the corner convention that COCO,
 * pycocotools and CVAT share: pixel (x, y) covers the square [x, x+1] x [y, y+1], so its centre is
 * (x + 0.5, y + 0.5) and a polygon around a whole W x H image runs from 0 to W and 0 to H.
 *
 * Contours come from d3-contour (marching squares on the pixel centres, threshold 0.5): every
 * boundary runs between a foreground and a background centre, so rasterising the unsimplified
 * rings at pixel centres gives the mask back exactly. simplify-js (Douglas-Peucker) then thins them.
 */
import { contours } from "d3-contour";
import simplify from "simplify-js";
import { AlignSamError } from "../errors.ts";
import type { BinaryMask } from "../mask/types.ts";

/**
 * Default Douglas-Peucker tolerance, half a pixel: about half the vertices of the pixel-exact
 * contour, IoU >= 0.98 with the mask from ~30 px objects up (1 px needs ~50 px; ./README.md).
 */
export const DEFAULT_POLYGON_TOLERANCE = 0.5;

export interface PolygonOptions {
  /**
   * Douglas-Peucker tolerance in pixels: no simplified vertex strays further than this from the
   * pixel-exact contour. 0 keeps every corner (only collinear points go), so the polygons
   * rasterise back to the mask exactly.
   * @default 0.5
   */
  tolerance?: number;
}

type Point = { x: number; y: number };

/** Twice the signed area (shoelace); positive when clockwise on screen (y down). */
function signedArea2(ring: readonly Point[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    s += (ring[j].x - ring[i].x) * (ring[j].y + ring[i].y);
  }
  return s;
}

/**
 * An open ring (closing point dropped), simplified; a ring that simplification would collapse
 * below a triangle keeps its exact corners, so one-pixel specks survive as polygons.
 */
function simplifyRing(closed: readonly [number, number][], tolerance: number): Point[] {
  const exact = closed.slice(0, -1).map(([x, y]) => ({ x, y }));
  if (tolerance === 0 && exact.length <= 3) return exact;
  // highQuality: Douglas-Peucker only, without simplify-js's radial-distance pre-pass.
  const simplified = simplify([...exact, exact[0]], tolerance, true).slice(0, -1);
  return simplified.length >= 3 && signedArea2(simplified) !== 0 ? simplified : exact;
}

function squaredDistance(a: Point, b: Point): number {
  return (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
}

/**
 * Splice a hole into the outer ring with a zero-width cut between their closest vertices: the
 * ring walks to the hole, round it and back along the same segment. The cut's two edges cancel
 * under both even-odd and nonzero fill, and the hole runs opposite to the outer ring, so the hole
 * stays empty for every rasteriser (pycocotools, CVAT's SVG, canvas).
 */
function bridgeHole(outer: Point[], hole: readonly Point[]): Point[] {
  let best = Number.POSITIVE_INFINITY;
  let oi = 0;
  let hi = 0;
  for (let i = 0; i < outer.length; i++) {
    for (let j = 0; j < hole.length; j++) {
      const d = squaredDistance(outer[i], hole[j]);
      if (d < best) {
        best = d;
        oi = i;
        hi = j;
      }
    }
  }
  const loop = [...hole.slice(hi), ...hole.slice(0, hi), hole[hi]];
  return [...outer.slice(0, oi + 1), ...loop, outer[oi], ...outer.slice(oi + 1)];
}

function checkMask(mask: BinaryMask): void {
  const { width, height, data } = mask;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `mask size ${width}x${height} is not a pair of non-negative integers`,
    );
  }
  if (data.length !== width * height) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `mask has ${data.length} values, expected ${width}x${height} = ${width * height}`,
    );
  }
}

/**
 * A binary mask as a COCO polygon list: one flat `[x1, y1, x2, y2, ...]` polygon (at least three
 * points, not closed) per connected component, in pixel coordinates (corner convention, see the
 * module comment). Holes are bridged into their component's outer ring with a zero-width cut, so
 * the union of the polygons, filled even-odd or nonzero, is the mask with its holes. An empty
 * mask gives `[]`.
 * @example
 * maskToPolygons({ width: 4, height: 4, data }, { tolerance: 0 });
 * // a 2x2 square at (1, 1) -> [[3, 2.5, 3, 1.5, 2.5, 1, 1.5, 1, 1, 1.5, 1, 2.5, 1.5, 3, 2.5, 3]]
 */
export function maskToPolygons(mask: BinaryMask, options: PolygonOptions = {}): number[][] {
  checkMask(mask);
  const tolerance = options.tolerance ?? DEFAULT_POLYGON_TOLERANCE;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `polygon tolerance must be a number >= 0 (pixels), got ${tolerance}`,
      {
        field: "tolerance",
        value: tolerance,
      },
    );
  }
  const { width, height, data } = mask;
  if (width === 0 || height === 0 || !data.some((v) => v !== 0)) return [];
  // d3-contour only indexes the grid, so the bytes go in as they are (any non-zero is >= 0.5).
  const grid = data as unknown as number[];
  const [multi] = contours().size([width, height]).smooth(false).thresholds([0.5])(grid);
  const polygons: number[][] = [];
  for (const [outerRing, ...holeRings] of multi.coordinates) {
    let ring = simplifyRing(outerRing as [number, number][], tolerance);
    const outerSign = Math.sign(signedArea2(ring));
    for (const holeRing of holeRings) {
      const hole = simplifyRing(holeRing as [number, number][], tolerance);
      if (Math.sign(signedArea2(hole)) === outerSign) hole.reverse();
      ring = bridgeHole(ring, hole);
    }
    polygons.push(ring.flatMap((p) => [p.x, p.y]));
  }
  return polygons;
}

/**
 * Fill COCO polygons back into a mask, as pycocotools does: each polygon filled even-odd, the
 * polygons united. A pixel is set when its centre (x + 0.5, y + 0.5) lies inside; a centre
 * exactly on a left edge counts as inside, on a right edge as outside.
 * @example
 * rasterizePolygons([[1, 1, 3, 1, 3, 3, 1, 3]], 4, 4).data; // the 2x2 square at (1, 1)
 */
export function rasterizePolygons(
  polygons: readonly (readonly number[])[],
  width: number,
  height: number,
): BinaryMask {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new AlignSamError(
      "MASK_SHAPE",
      `raster size ${width}x${height} is not a pair of non-negative integers`,
    );
  }
  const data = new Uint8Array(width * height);
  polygons.forEach((polygon, index) => {
    if (polygon.length < 6 || polygon.length % 2 !== 0 || polygon.some((v) => !Number.isFinite(v))) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `polygon ${index} must be a flat [x1, y1, x2, y2, ...] list of at least 3 finite points, got ${polygon.length} values`,
        { polygon: index },
      );
    }
    const n = polygon.length / 2;
    const crossings: number[] = [];
    for (let y = 0; y < height; y++) {
      const cy = y + 0.5;
      crossings.length = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const xi = polygon[2 * i];
        const yi = polygon[2 * i + 1];
        const xj = polygon[2 * j];
        const yj = polygon[2 * j + 1];
        // Half-open in y, so a vertex on the scanline is counted once.
        if (yi <= cy !== yj <= cy) crossings.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // Centres x + 0.5 in [left, right).
        const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const to = Math.min(width, Math.ceil(crossings[k + 1] - 0.5));
        data.fill(1, y * width + from, y * width + Math.max(from, to));
      }
    }
  });
  return { width, height, data };
}
