import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import type { BinaryMask } from "../mask/types.ts";
import { maskToPolygons, rasterizePolygons } from "./polygons.ts";

/** A mask from a predicate on pixel centres. */
function shape(width: number, height: number, inside: (x: number, y: number) => boolean): BinaryMask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = inside(x + 0.5, y + 0.5) ? 1 : 0;
  return { width, height, data };
}

function iou(a: BinaryMask, b: BinaryMask): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    inter += a.data[i] & b.data[i];
    union += a.data[i] | b.data[i];
  }
  return union === 0 ? 1 : inter / union;
}

/** Nonzero winding number of a flat polygon around a point (the SVG/canvas default fill rule). */
function winding(polygon: readonly number[], px: number, py: number): number {
  let w = 0;
  const n = polygon.length / 2;
  for (let i = 0; i < n; i++) {
    const [x0, y0] = [polygon[2 * i], polygon[2 * i + 1]];
    const [x1, y1] = [polygon[(2 * i + 2) % polygon.length], polygon[(2 * i + 3) % polygon.length]];
    const side = (x1 - x0) * (py - y0) - (px - x0) * (y1 - y0);
    if (y0 <= py && y1 > py && side > 0) w++;
    else if (y0 > py && y1 <= py && side < 0) w--;
  }
  return w;
}

const ring = shape(120, 100, (x, y) => {
  const r = Math.hypot(x - 60, y - 50);
  return r < 40 && r > 15;
});
// A disk, a rectangle with a square hole, a 6-pixel speck.
const components = shape(
  160,
  120,
  (x, y) =>
    Math.hypot(x - 40, y - 40) < 25 ||
    (x > 90 && x < 150 && y > 20 && y < 100 && !(x > 110 && x < 130 && y > 50 && y < 70)) ||
    Math.hypot(x - 40, y - 95) < 1.5,
);
const blob = shape(200, 150, (x, y) => {
  const a = Math.atan2(y - 75, x - 100);
  return Math.hypot(x - 100, y - 75) < 50 + 12 * Math.sin(5 * a) + 5 * Math.cos(13 * a);
});
// Foreground against the left and bottom borders.
const bordered = shape(64, 48, (x, y) => x < 30 || y > 40);
const typical = { ring, components, blob, bordered };

describe("maskToPolygons", () => {
  it("traces a 2x2 square on pixel edges, corners cut at pixel-edge midpoints", () => {
    const data = new Uint8Array(16);
    for (const i of [5, 6, 9, 10]) data[i] = 1;
    expect(maskToPolygons({ width: 4, height: 4, data }, { tolerance: 0 })).toEqual([
      [3, 2.5, 3, 1.5, 2.5, 1, 1.5, 1, 1, 1.5, 1, 2.5, 1.5, 3, 2.5, 3],
    ]);
  });

  it.each(Object.entries(typical))("rasterises back to the exact mask at tolerance 0 (%s)", (_, mask) => {
    const polygons = maskToPolygons(mask, { tolerance: 0 });
    expect(rasterizePolygons(polygons, mask.width, mask.height).data).toEqual(mask.data);
  });

  it("rasterises back exactly at tolerance 0 for any mask, diagonal touches included", () => {
    const masks = fc
      .tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 11 }))
      .chain(([w, h]) =>
        fc
          .uint8Array({ minLength: w * h, maxLength: w * h, max: 1 })
          .map((data): BinaryMask => ({ width: w, height: h, data })),
      );
    fc.assert(
      fc.property(masks, (mask) => {
        const polygons = maskToPolygons(mask, { tolerance: 0 });
        for (const p of polygons) expect(p.length >= 6 && p.length % 2 === 0).toBe(true);
        expect(rasterizePolygons(polygons, mask.width, mask.height).data).toEqual(mask.data);
      }),
      { numRuns: 300 },
    );
  });

  it.each(Object.entries(typical))(
    "keeps IoU >= 0.98 with fewer vertices at the default tolerance (%s)",
    (_, mask) => {
      const simplified = maskToPolygons(mask);
      const exact = maskToPolygons(mask, { tolerance: 0 });
      expect(iou(rasterizePolygons(simplified, mask.width, mask.height), mask)).toBeGreaterThanOrEqual(0.98);
      if (mask !== bordered) expect(simplified.flat().length).toBeLessThan(0.7 * exact.flat().length);
      for (const p of simplified) {
        for (let i = 0; i < p.length; i += 2) {
          expect(p[i]).toBeGreaterThanOrEqual(0);
          expect(p[i]).toBeLessThanOrEqual(mask.width);
          expect(p[i + 1]).toBeGreaterThanOrEqual(0);
          expect(p[i + 1]).toBeLessThanOrEqual(mask.height);
        }
      }
    },
  );

  it("keeps IoU >= 0.98 at the default tolerance on disks from 30 px across, wherever they sit on the grid", () => {
    for (const r of [15, 20, 30]) {
      for (const [ox, oy] of [
        [0, 0],
        [0.13, 0.5],
        [0.41, 0.21],
        [0.67, 0.77],
      ]) {
        const s = 2 * r + 6;
        const mask = shape(s, s, (x, y) => (x - s / 2 - ox) ** 2 + (y - s / 2 - oy) ** 2 < r * r);
        expect(iou(rasterizePolygons(maskToPolygons(mask), s, s), mask)).toBeGreaterThanOrEqual(0.98);
      }
    }
  });

  it("bridges a hole into its outer ring so both even-odd and nonzero fill leave it empty", () => {
    const polygons = maskToPolygons(ring);
    expect(polygons).toHaveLength(1); // one component: the hole is inside the same polygon
    const [p] = polygons;
    expect(rasterizePolygons(polygons, ring.width, ring.height).data[50 * ring.width + 60]).toBe(0);
    expect(winding(p, 60.5, 50.5)).toBe(0); // the hole's centre
    expect(Math.abs(winding(p, 60.5, 22.5))).toBe(1); // on the ring
    expect(winding(p, 2.5, 2.5)).toBe(0); // outside
  });

  it("gives one polygon per connected component, a one-pixel speck included", () => {
    const speck = new Uint8Array(9);
    speck[4] = 1;
    expect(maskToPolygons({ width: 3, height: 3, data: speck })).toHaveLength(1);
    expect(maskToPolygons(components)).toHaveLength(3);
  });

  it("gives no polygons for an empty mask", () => {
    expect(maskToPolygons({ width: 5, height: 4, data: new Uint8Array(20) })).toEqual([]);
    expect(maskToPolygons({ width: 0, height: 0, data: new Uint8Array(0) })).toEqual([]);
  });

  it("refuses a negative tolerance with INVALID_ARGUMENT and a mask of the wrong length with MASK_SHAPE", () => {
    expect(() => maskToPolygons(ring, { tolerance: -1 })).toThrow(/tolerance must be a number >= 0/);
    try {
      maskToPolygons({ width: 4, height: 4, data: new Uint8Array(15) });
      expect.unreachable();
    } catch (e) {
      expect(isAlignSamError(e, "MASK_SHAPE")).toBe(true);
    }
  });
});

describe("rasterizePolygons", () => {
  it("fills the pixels whose centres are inside, a union over polygons", () => {
    const mask = rasterizePolygons(
      [
        [1, 1, 3, 1, 3, 3, 1, 3],
        [2, 2, 4, 2, 4, 4, 2, 4], // overlaps the first: united, not XOR-ed
      ],
      4,
      4,
    );
    expect(Array.from(mask.data).join("")).toBe("0000011001110011");
  });

  it("clips polygons that leave the raster", () => {
    const mask = rasterizePolygons([[-5, -5, 2, -5, 2, 9, -5, 9]], 3, 2);
    expect(Array.from(mask.data).join("")).toBe("110110");
  });

  it("refuses a polygon of fewer than three points with INVALID_ARGUMENT", () => {
    try {
      rasterizePolygons([[0, 0, 1, 1]], 2, 2);
      expect.unreachable();
    } catch (e) {
      expect(isAlignSamError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});
