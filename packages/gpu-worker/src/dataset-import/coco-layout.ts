/**
 * A COCO instances JSON with its images: each image's annotations of one category (the dataset's
 * task) are united into one binary mask, polygons filled as pycocotools fills them
 * (core's rasterizePolygons), RLE decoded by core's decodeRle. Images are matched to `file_name`
 * by their base name, since exporters disagree on the folder.
 */
import { rasterizePolygons } from "@alignsam/core/export";
import { AlignSamError, type DatasetReportEntry } from "@alignsam/core/light";
import { type BinaryMask, decodeRle, rleSchema } from "@alignsam/core/mask";
import { z } from "zod";
import { type ArchiveFile, isValidId, refusal, segmentsOf, splitName } from "./layout.ts";

const CocoInputSchema = z.object({
  images: z.array(
    z.looseObject({
      id: z.number(),
      file_name: z.string().min(1),
      width: z.int().min(1),
      height: z.int().min(1),
    }),
  ),
  annotations: z.array(
    z.looseObject({ image_id: z.number(), category_id: z.number(), segmentation: z.unknown() }),
  ),
  categories: z.array(z.looseObject({ id: z.number(), name: z.string() })).min(1),
});
type CocoInput = z.infer<typeof CocoInputSchema>;

const PolygonsSchema = z.array(z.array(z.number()));

export interface CocoPair {
  readonly id: string;
  readonly image: ArchiveFile;
  /** The JSON's size for the image; checked against the image itself. */
  readonly width: number;
  readonly height: number;
  readonly mask: BinaryMask;
}

function parseJson(file: ArchiveFile): CocoInput {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(file.bytes));
  } catch (e) {
    throw new AlignSamError("ARCHIVE_INVALID", `${file.path} is not JSON: ${(e as Error).message}`);
  }
  const parsed = CocoInputSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".")}: ${i.message}`)
      .join("; ");
    throw new AlignSamError("ARCHIVE_INVALID", `${file.path} is not a COCO instances file: ${why}`);
  }
  return parsed.data;
}

/** The category named by the upload (name or id), or the file's only one. */
function pickCategory(coco: CocoInput, wanted: string | undefined): { id: number; name: string } {
  const names = coco.categories.map((c) => c.name);
  if (wanted === undefined) {
    if (coco.categories.length === 1) return coco.categories[0];
    throw new AlignSamError(
      "ARCHIVE_INVALID",
      `the COCO file has ${coco.categories.length} categories; upload again with category set to one of: ${names.join(", ")}`,
      { categories: names },
    );
  }
  const found = coco.categories.find((c) => c.name === wanted || String(c.id) === wanted);
  if (!found) {
    throw new AlignSamError(
      "ARCHIVE_INVALID",
      `category "${wanted}" is not in the COCO file; expected one of: ${names.join(", ")}`,
      { categories: names },
    );
  }
  return found;
}

/** Paint one annotation into the image's mask; a reason when it cannot be read. */
function paint(mask: BinaryMask, segmentation: unknown): string | undefined {
  const { width, height } = mask;
  let part: BinaryMask;
  try {
    const polygons = PolygonsSchema.safeParse(segmentation);
    if (polygons.success) part = rasterizePolygons(polygons.data, width, height);
    else {
      const rle = rleSchema.safeParse(segmentation);
      if (!rle.success) return "segmentation is neither a polygon list nor an RLE";
      if (rle.data.size[0] !== height || rle.data.size[1] !== width) {
        return `RLE size ${rle.data.size[1]}x${rle.data.size[0]} differs from the image's ${width}x${height}`;
      }
      part = decodeRle(rle.data);
    }
  } catch (e) {
    return (e as Error).message;
  }
  for (let i = 0; i < part.data.length; i++) if (part.data[i]) mask.data[i] = 1;
  return undefined;
}

/**
 * Candidate pairs from a COCO file and the archive's other files. Throws ARCHIVE_INVALID when the
 * JSON is unreadable or the category is ambiguous; everything per file goes to `refused`.
 */
export function pairCoco(
  json: ArchiveFile,
  files: readonly ArchiveFile[],
  wantedCategory: string | undefined,
  maxPixels: number,
): { pairs: CocoPair[]; refused: DatasetReportEntry[]; category: { id: number; name: string } } {
  const coco = parseJson(json);
  const category = pickCategory(coco, wantedCategory);
  const refused: DatasetReportEntry[] = [];
  const byName = new Map<string, ArchiveFile | null>();
  for (const f of files) {
    if (f === json) continue;
    const base = segmentsOf(f.path).at(-1) ?? f.path;
    byName.set(base, byName.has(base) ? null : f);
  }
  const used = new Set<ArchiveFile>();
  const pairs: CocoPair[] = [];
  const ids = new Set<string>();
  const masks = new Map<number, CocoPair>();
  for (const img of coco.images) {
    const base = segmentsOf(img.file_name).at(-1) ?? img.file_name;
    const file = byName.get(base);
    const { stem } = splitName(base);
    if (file === null) {
      refused.push(refusal(img.file_name, "DUPLICATE_ID", `several files in the archive are named ${base}`));
      continue;
    }
    if (!file) {
      refused.push(refusal(img.file_name, "UNPAIRED", "listed in the COCO file but not in the archive"));
      continue;
    }
    used.add(file);
    if (!isValidId(stem)) {
      refused.push(
        refusal(
          file.path,
          "ID_INVALID",
          "the file name must be 1-128 letters, digits, '.', '_' or '-' plus its extension",
        ),
      );
      continue;
    }
    if (ids.has(stem) || masks.has(img.id)) {
      refused.push(
        refusal(file.path, "DUPLICATE_ID", `the id "${stem}" (or image id ${img.id}) appears twice`),
      );
      continue;
    }
    if (img.width * img.height > maxPixels) {
      refused.push(
        refusal(
          file.path,
          "IMAGE_TOO_LARGE",
          `the COCO file says ${img.width}x${img.height}, more than the ${maxPixels} pixels accepted`,
        ),
      );
      continue;
    }
    ids.add(stem);
    const pair: CocoPair = {
      id: stem,
      image: file,
      width: img.width,
      height: img.height,
      mask: { width: img.width, height: img.height, data: new Uint8Array(img.width * img.height) },
    };
    masks.set(img.id, pair);
    pairs.push(pair);
  }
  for (const [index, ann] of coco.annotations.entries()) {
    if (ann.category_id !== category.id) continue;
    const pair = masks.get(ann.image_id);
    if (!pair) continue;
    const why = paint(pair.mask, ann.segmentation);
    if (why) {
      refused.push(
        refusal(pair.image.path, "ANNOTATION_INVALID", `annotation #${index} skipped: ${why}`, true),
      );
    }
  }
  for (const f of files) {
    if (f !== json && !used.has(f))
      refused.push(refusal(f.path, "UNEXPECTED_FILE", "not referenced by the COCO file"));
  }
  pairs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { pairs, refused, category: { id: category.id, name: category.name } };
}
