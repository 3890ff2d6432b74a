/**
 * COCO "instances" documents, as pycocotools' `COCO()` and CVAT's COCO 1.0 import read them.
 *
 * Choices, and why:
 * - `iscrowd` is always 0. Each mask is one object; COCO's iscrowd=1 marks crowd regions that
 *   COCOeval ignores when matching, so a labelled set written that way could not be scored.
 *   pycocotools, Detectron2 and CVAT (Datumaro) pick the decoder from the shape of `segmentation`
 *   (a list: polygons; an object: RLE), not from iscrowd.
 * - `segmentation` is the compressed RLE (pycocotools' string `counts`, see ../mask/rle.ts), exact
 *   to the pixel. With `polygons`, it becomes the polygon list (what annotation tools edit as
 *   vertices) and the exact RLE moves to an extra `rle` field on the annotation, which COCO
 *   readers ignore and ours can use.
 * - `area` is the mask's pixel count and `bbox` its tight box [x, y, w, h] in pixels, both as
 *   pycocotools computes them from the RLE (`area`, `toBbox`).
 */
import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import { encodeRle } from "../mask/rle.ts";
import type { BinaryMask } from "../mask/types.ts";
import { DEFAULT_POLYGON_TOLERANCE, maskToPolygons } from "./polygons.ts";

const Id = z.int().min(1);
const CompressedRleSchema = z.object({
  size: z.tuple([z.int().min(0), z.int().min(0)]),
  counts: z.string(),
});
/** Flat [x1, y1, x2, y2, ...]; pycocotools reads a 4-value list as a box, so at least 3 points. */
const PolygonSchema = z.array(z.number()).min(6);

export const CocoImageSchema = z.object({
  id: Id,
  /** Relative to the dataset's image folder, '/'-separated. */
  file_name: z.string().min(1),
  width: z.int().min(1),
  height: z.int().min(1),
});

export const CocoCategorySchema = z.object({
  id: Id,
  name: z.string().min(1),
  supercategory: z.string(),
});

export const CocoAnnotationSchema = z.object({
  id: Id,
  image_id: Id,
  category_id: Id,
  segmentation: z.union([CompressedRleSchema, z.array(PolygonSchema).min(1)]),
  /** The exact mask when `segmentation` holds polygons (an AlignSAM extension). */
  rle: CompressedRleSchema.optional(),
  area: z.int().min(1),
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  iscrowd: z.union([z.literal(0), z.literal(1)]),
  /** The model's confidence, when the caller has one (COCO's results format names it so). */
  score: z.number().optional(),
});

export const CocoInstancesSchema = z.object({
  info: z.object({ description: z.string(), version: z.string(), date_created: z.string() }).optional(),
  licenses: z.array(z.unknown()).optional(),
  images: z.array(CocoImageSchema),
  annotations: z.array(CocoAnnotationSchema),
  categories: z.array(CocoCategorySchema),
});
export type CocoInstances = z.infer<typeof CocoInstancesSchema>;
export type CocoAnnotation = z.infer<typeof CocoAnnotationSchema>;

export interface CocoImageEntry {
  /** Unique, >= 1; annotations point at it. */
  id: number;
  /** Written as COCO's `file_name`: the image's path relative to the dataset folder. */
  fileName: string;
  width: number;
  height: number;
}

export interface CocoAnnotationInput {
  imageId: number;
  /** Category name (a task or class name); becomes the annotation's `category_id`. */
  category: string;
  /** The image's own size; empty masks are left out (COCO has no empty annotation). */
  mask: BinaryMask;
  score?: number;
}

export interface CocoExportOptions {
  /**
   * Write `segmentation` as polygons (see ./polygons.ts) and the exact RLE in `rle`.
   * @default false
   */
  polygons?: boolean;
  /**
   * Douglas-Peucker tolerance of the polygons, in pixels.
   * @default 0.5
   */
  tolerance?: number;
  /**
   * Category names in id order (ids 1..n); every annotation's category must be one of them.
   * Absent: the annotations' categories in first-seen order.
   */
  categories?: readonly string[];
  /** `info.description`. @default "AlignSAM segmentation" */
  description?: string;
  /** `info.date_created`, ISO 8601; fixed in tests. @default now */
  dateCreated?: string;
}

/** Tight box [x, y, w, h] and pixel count, as pycocotools' toBbox and area give them. */
function boxAndArea(mask: BinaryMask): { bbox: [number, number, number, number]; area: number } {
  const { width, height, data } = mask;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  let area = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (!data[row + x]) continue;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return { bbox: area ? [x0, y0, x1 - x0 + 1, y1 - y0 + 1] : [0, 0, 0, 0], area };
}

/** Category ids: the given names as 1..n, or names numbered as first seen (`idOf` adds them). */
function categoryTable(given: readonly string[] | undefined) {
  const ids = new Map<string, number>();
  for (const name of given ?? []) {
    if (!name) throw new AlignSamError("INVALID_ARGUMENT", "COCO category names must not be empty");
    if (ids.has(name)) throw new AlignSamError("INVALID_ARGUMENT", `COCO category "${name}" is listed twice`);
    ids.set(name, ids.size + 1);
  }
  const idOf = (name: string): number => {
    const known = ids.get(name);
    if (known !== undefined) return known;
    if (given) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `annotation category "${name}" is not among the categories; expected one of: ${given.join(", ")}`,
        { valid: [...given] },
      );
    }
    if (!name) throw new AlignSamError("INVALID_ARGUMENT", "COCO category names must not be empty");
    ids.set(name, ids.size + 1);
    return ids.size;
  };
  return { ids, idOf };
}

/**
 * One COCO instances document: the images, one category per name (ids 1..n), one annotation per
 * non-empty mask (ids 1..n in input order) with its compressed RLE, area, bbox and iscrowd 0, and
 * polygons in `segmentation` (RLE then in `rle`) when `options.polygons`. Refuses duplicate image
 * ids, annotations of unknown images or categories, and masks whose size is not their image's.
 * `annotations` is read once, in order: a generator that decodes one mask at a time keeps a long
 * run's memory at one image's.
 * @example
 * const doc = buildCocoInstances(
 *   [{ id: 1, fileName: "a/cat.jpg", width: 640, height: 480 }],
 *   [{ imageId: 1, category: "salient", mask }],
 *   { polygons: true },
 * );
 * writeFileSync("instances.json", JSON.stringify(doc));
 */
export function buildCocoInstances(
  images: readonly CocoImageEntry[],
  annotations: Iterable<CocoAnnotationInput>,
  options: CocoExportOptions = {},
): CocoInstances {
  const byId = new Map<number, CocoImageEntry>();
  for (const image of images) {
    if (!Number.isInteger(image.id) || image.id < 1) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `COCO image id ${image.id} (${image.fileName}) must be an integer >= 1`,
      );
    }
    if (byId.has(image.id)) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `COCO image id ${image.id} is used twice (${image.fileName})`,
      );
    }
    byId.set(image.id, image);
  }
  const categories = categoryTable(options.categories);
  const tolerance = options.tolerance ?? DEFAULT_POLYGON_TOLERANCE;
  const out: CocoAnnotation[] = [];
  for (const a of annotations) {
    const image = byId.get(a.imageId);
    if (!image) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `annotation refers to image id ${a.imageId}, which is not listed`,
      );
    }
    if (a.mask.width !== image.width || a.mask.height !== image.height) {
      throw new AlignSamError(
        "MASK_SHAPE",
        `mask for ${image.fileName} is ${a.mask.width}x${a.mask.height} but the image is ${image.width}x${image.height}`,
      );
    }
    const categoryId = categories.idOf(a.category); // listed even when its masks are all empty
    const { bbox, area } = boxAndArea(a.mask);
    if (area === 0) continue;
    const rle = encodeRle(a.mask);
    out.push({
      id: out.length + 1,
      image_id: a.imageId,
      category_id: categoryId,
      ...(options.polygons
        ? { segmentation: maskToPolygons(a.mask, { tolerance }), rle }
        : { segmentation: rle }),
      area,
      bbox,
      iscrowd: 0,
      ...(a.score === undefined ? {} : { score: a.score }),
    });
  }
  return {
    info: {
      description: options.description ?? "AlignSAM segmentation",
      version: "1.0",
      date_created: options.dateCreated ?? new Date().toISOString(),
    },
    licenses: [],
    images: images.map((i) => ({ id: i.id, file_name: i.fileName, width: i.width, height: i.height })),
    annotations: out,
    categories: [...categories.ids].map(([name, id]) => ({ id, name, supercategory: "" })),
  };
}
