/**
 * The batch's own results, formed from the per-image outcomes: one COCO instances file (the
 * shards' fragments in manifest order, annotation ids renumbered 1..n, validated by the export
 * module's schema) and one zip archive (fflate) of the COCO files, the per-image files and the list
 * of failed images. Pure functions: the reduce handler reads and writes, these only shape bytes.
 */
import { buildCocoInstances, type CocoInstances, CocoInstancesSchema } from "@alignsam/core/export";
import type { BatchImageOutcome, BatchItem } from "@alignsam/core/light";
import { type Zippable, zipSync } from "fflate";

/** An outcome with the manifest item it belongs to. */
export interface ItemOutcome {
  readonly item: BatchItem;
  readonly outcome: BatchImageOutcome;
}

/**
 * Merge per-image COCO fragments into one instances document; `polygons` picks the polygon twin
 * of each annotation. Failed images are left out (their size is unknown).
 *
 * @example
 * const coco = mergeCocoFragments(outcomes, "saliency", { polygons: false, dateCreated: manifest.createdAt });
 */
export function mergeCocoFragments(
  outcomes: readonly ItemOutcome[],
  category: string,
  options: { polygons: boolean; dateCreated: string },
): CocoInstances {
  // The empty document gives the header (info, licenses, categories) in the export module's form.
  const base = buildCocoInstances([], [], { categories: [category], dateCreated: options.dateCreated });
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  for (const { outcome } of outcomes) {
    const fragment = outcome.coco;
    if (!fragment) continue;
    images.push(fragment.image);
    const anns = options.polygons ? (fragment.polygonAnnotations ?? []) : fragment.annotations;
    for (const a of anns) annotations.push({ ...a, id: annotations.length + 1 });
  }
  return CocoInstancesSchema.parse({ ...base, images, annotations });
}

/** One failed image as the archive and the batch view list it. */
export interface BatchFailure {
  readonly imageId: string;
  readonly fileName: string;
  readonly code: string;
  readonly message: string;
}

export function failuresOf(outcomes: readonly ItemOutcome[]): BatchFailure[] {
  return outcomes
    .filter((o) => o.outcome.error)
    .map(({ item, outcome }) => ({
      imageId: item.id,
      fileName: item.fileName,
      code: outcome.error!.code,
      message: outcome.error!.message,
    }));
}

/** What goes into the archive, by path: bytes, and whether they are already compressed (PNG). */
export interface ArchiveEntry {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly stored?: boolean;
}

/**
 * A zip of the entries, with a fixed timestamp so a re-run reduce writes the same bytes.
 * PNGs are stored (deflating them again gains nothing), JSON deflated.
 */
export function packArchive(entries: readonly ArchiveEntry[]): Uint8Array {
  const mtime = new Date("2000-01-01T00:00:00Z");
  const tree: Zippable = {};
  for (const e of entries) tree[e.path] = [e.bytes, { level: e.stored ? 0 : 6, mtime }];
  return zipSync(tree);
}

/** The archive path of a per-image file: masks/<id>.png, rle/<id>.json, polygons/<id>.json. */
export function archivePath(imageId: string, file: "mask.png" | "rle.json" | "polygons.json"): string {
  if (file === "mask.png") return `masks/${imageId}.png`;
  return file === "rle.json" ? `rle/${imageId}.json` : `polygons/${imageId}.json`;
}
