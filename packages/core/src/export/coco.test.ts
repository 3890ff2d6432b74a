import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { decodeRle } from "../mask/rle.ts";
import type { BinaryMask } from "../mask/types.ts";
import { buildCocoInstances, type CocoImageEntry, CocoInstancesSchema } from "./coco.ts";
import { rasterizePolygons } from "./polygons.ts";

function shape(width: number, height: number, inside: (x: number, y: number) => boolean): BinaryMask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = inside(x + 0.5, y + 0.5) ? 1 : 0;
  return { width, height, data };
}

// pycocotools 2.0.11 on this disk: mask.area -> 316, mask.toBbox -> [10, 10, 20, 20].
const disk = shape(40, 40, (x, y) => (x - 20) ** 2 + (y - 20) ** 2 < 100);
const ring = shape(60, 50, (x, y) => {
  const r = Math.hypot(x - 30, y - 25);
  return r < 20 && r > 8;
});
const empty: BinaryMask = { width: 60, height: 50, data: new Uint8Array(3000) };
const images: CocoImageEntry[] = [
  { id: 1, fileName: "a/disk.png", width: 40, height: 40 },
  { id: 2, fileName: "ring.png", width: 60, height: 50 },
];

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    if (isAlignSamError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe("buildCocoInstances", () => {
  it("writes images, first-seen categories and one RLE annotation per non-empty mask", () => {
    const doc = buildCocoInstances(
      images,
      [
        { imageId: 2, category: "ring", mask: ring, score: 0.75 },
        { imageId: 1, category: "disk", mask: disk },
        { imageId: 2, category: "disk", mask: empty },
      ],
      { dateCreated: "2024-01-01T00:00:00.000Z" },
    );
    expect(CocoInstancesSchema.parse(doc)).toEqual(doc);
    expect(doc.images).toEqual([
      { id: 1, file_name: "a/disk.png", width: 40, height: 40 },
      { id: 2, file_name: "ring.png", width: 60, height: 50 },
    ]);
    expect(doc.categories).toEqual([
      { id: 1, name: "ring", supercategory: "" },
      { id: 2, name: "disk", supercategory: "" },
    ]);
    expect(doc.annotations.map((a) => [a.id, a.image_id, a.category_id, a.iscrowd, a.score])).toEqual([
      [1, 2, 1, 0, 0.75],
      [2, 1, 2, 0, undefined],
    ]);
    const [ringAnn, diskAnn] = doc.annotations;
    expect(diskAnn.area).toBe(316);
    expect(diskAnn.bbox).toEqual([10, 10, 20, 20]);
    expect(decodeRle(diskAnn.segmentation as never).data).toEqual(disk.data);
    expect(decodeRle(ringAnn.segmentation as never).data).toEqual(ring.data);
    expect(diskAnn.rle).toBeUndefined();
  });

  it("puts polygons in segmentation and the exact mask in rle when polygons are asked for", () => {
    const doc = buildCocoInstances(images, [{ imageId: 2, category: "ring", mask: ring }], {
      polygons: true,
    });
    const [ann] = CocoInstancesSchema.parse(doc).annotations;
    expect(Array.isArray(ann.segmentation)).toBe(true);
    expect(ann.rle && decodeRle(ann.rle).data).toEqual(ring.data);
    const filled = rasterizePolygons(ann.segmentation as number[][], 60, 50);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < filled.data.length; i++) {
      inter += filled.data[i] & ring.data[i];
      union += filled.data[i] | ring.data[i];
    }
    expect(inter / union).toBeGreaterThanOrEqual(0.98);
    expect(filled.data[25 * 60 + 30]).toBe(0); // the hole
  });

  it("numbers given categories in their order, unused ones included", () => {
    const doc = buildCocoInstances(images, [{ imageId: 1, category: "disk", mask: disk }], {
      categories: ["ring", "disk", "cat"],
    });
    expect(doc.categories.map((c) => [c.id, c.name])).toEqual([
      [1, "ring"],
      [2, "disk"],
      [3, "cat"],
    ]);
    expect(doc.annotations[0].category_id).toBe(2);
  });

  it("reads annotations from a generator once, in order, and lists a category whose masks are all empty", () => {
    let pulled = 0;
    function* masks() {
      for (const [imageId, mask] of [
        [2, empty],
        [1, disk],
      ] as const) {
        pulled++;
        yield { imageId, category: imageId === 2 ? "nothing" : "disk", mask };
      }
    }
    const doc = buildCocoInstances(images, masks());
    expect(pulled).toBe(2);
    expect(doc.categories.map((c) => c.name)).toEqual(["nothing", "disk"]);
    expect(doc.annotations.map((a) => [a.id, a.image_id, a.category_id])).toEqual([[1, 1, 2]]);
  });

  it("refuses a category outside the given list, naming the valid ones", () => {
    expect(() =>
      buildCocoInstances(images, [{ imageId: 1, category: "dog", mask: disk }], { categories: ["disk"] }),
    ).toThrow(/category "dog".*expected one of: disk/);
  });

  it("refuses unknown images, duplicate image ids and masks of another size", () => {
    expect(codeOf(() => buildCocoInstances(images, [{ imageId: 3, category: "d", mask: disk }]))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(codeOf(() => buildCocoInstances([images[0], { ...images[1], id: 1 }], []))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(codeOf(() => buildCocoInstances(images, [{ imageId: 2, category: "d", mask: disk }]))).toBe(
      "MASK_SHAPE",
    );
  });
});
