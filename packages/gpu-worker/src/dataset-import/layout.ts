/**
 * From the archive's files to candidate pairs, for the `images/` + `masks/` layout (optionally
 * inside one top folder, as zipping a folder makes it). An id is a file's stem and must be a key
 * segment; it, not the path, names what is stored.
 */
import { type DatasetReportEntry, KEY_SEGMENT_PATTERN } from "@alignsam/core/light";
import { type ArchiveEntry, displayPath } from "./archive-entries.ts";

export interface ArchiveFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** One image and its label, before the pixels are checked. */
export interface CandidatePair {
  readonly id: string;
  readonly image: ArchiveFile;
  readonly mask: ArchiveFile;
}

export function refusal(
  path: string,
  code: DatasetReportEntry["code"],
  message: string,
  kept = false,
): DatasetReportEntry {
  return { path: displayPath(path), code, message, kept };
}

/** Path segments without empty and "." ones ("./images/a.png" is "images/a.png"). */
export function segmentsOf(path: string): string[] {
  return path.split("/").filter((s) => s !== "" && s !== ".");
}

export function splitName(file: string): { stem: string; ext: string } {
  const dot = file.lastIndexOf(".");
  return dot <= 0
    ? { stem: file, ext: "" }
    : { stem: file.slice(0, dot), ext: file.slice(dot + 1).toLowerCase() };
}

export function isValidId(id: string): boolean {
  return KEY_SEGMENT_PATTERN.test(id) && !id.includes("..");
}

const IMAGE_EXT = new Set(["jpg", "jpeg", "png", "webp"]);

/** The regular files of an archive, and the refusals its readers already made. */
export function filesOf(entries: readonly ArchiveEntry[]): {
  files: ArchiveFile[];
  refused: DatasetReportEntry[];
} {
  const files: ArchiveFile[] = [];
  const refused: DatasetReportEntry[] = [];
  for (const e of entries) {
    if (e.kind === "file") files.push({ path: e.path, bytes: e.bytes });
    else if (e.kind === "refused") refused.push(refusal(e.path, e.code, e.message));
  }
  return { files, refused };
}

/**
 * Pair `images/<id>.<jpg|jpeg|png|webp>` with `masks/<id>.png`. Files elsewhere, with an invalid
 * id, a duplicate id, or without a partner are reported; pairs are sorted by id.
 */
export function pairFolders(files: readonly ArchiveFile[]): {
  pairs: CandidatePair[];
  refused: DatasetReportEntry[];
} {
  const refused: DatasetReportEntry[] = [];
  const images = new Map<string, ArchiveFile>();
  const masks = new Map<string, ArchiveFile>();
  for (const file of files) {
    const segs = segmentsOf(file.path);
    const folder = segs.at(-2);
    const name = segs.at(-1) ?? "";
    if (segs.length > 3 || (folder !== "images" && folder !== "masks")) {
      refused.push(
        refusal(file.path, "UNEXPECTED_FILE", "not in images/ or masks/ (at most one folder above them)"),
      );
      continue;
    }
    const { stem, ext } = splitName(name);
    if (folder === "images" ? !IMAGE_EXT.has(ext) : ext !== "png") {
      const want = folder === "images" ? ".jpg, .jpeg, .png or .webp" : ".png";
      refused.push(refusal(file.path, "UNEXPECTED_FILE", `a file in ${folder}/ must end in ${want}`));
      continue;
    }
    if (!isValidId(stem)) {
      refused.push(
        refusal(
          file.path,
          "ID_INVALID",
          "the file name must be 1-128 letters, digits, '.', '_' or '-' (starting with a letter or digit) plus its extension",
        ),
      );
      continue;
    }
    const into = folder === "images" ? images : masks;
    if (into.has(stem)) {
      refused.push(refusal(file.path, "DUPLICATE_ID", `another file in ${folder}/ has the id "${stem}"`));
      continue;
    }
    into.set(stem, file);
  }
  const pairs: CandidatePair[] = [];
  for (const [id, image] of images) {
    const mask = masks.get(id);
    if (mask) pairs.push({ id, image, mask });
    else refused.push(refusal(image.path, "UNPAIRED", `no mask masks/${id}.png`));
  }
  for (const [id, mask] of masks) {
    if (!images.has(id)) refused.push(refusal(mask.path, "UNPAIRED", `no image images/${id}.(jpg|png|webp)`));
  }
  pairs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { pairs, refused };
}

/** The COCO instances JSON of an archive, if it has one: `annotations.json` or `instances*.json`. */
export function findCocoJson(files: readonly ArchiveFile[]): ArchiveFile[] {
  return files.filter((f) => /^(annotations|instances[^/]*)\.json$/i.test(segmentsOf(f.path).at(-1) ?? ""));
}
