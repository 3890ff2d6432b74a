/**
 * A labelled dataset uploaded as one archive (`POST /v1/datasets`): the API stores the archive as an
 * input and enqueues a `dataset-import` job; the worker unpacks and checks it and writes the pairs
 * and a per-file report. The dataset id is also the job's id.
 *
 * ```
 * tenants/<tenant>/inputs/<uploadId>                                the archive as uploaded
 * tenants/<tenant>/datasets/<datasetId>/dataset.json                DatasetRecord (API, at accept)
 * tenants/<tenant>/datasets/<datasetId>/images/<id>.<jpg|png|webp>  accepted images
 * tenants/<tenant>/datasets/<datasetId>/masks/<id>.png              their masks
 * tenants/<tenant>/datasets/<datasetId>/report.json                 DatasetReport (worker, last)
 * ```
 * Every key is built here from validated ids, never from a path inside the archive.
 */
import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import { datasetPrefix, KeySegmentSchema, keySegment } from "./keys.ts";

export const DATASET_ARCHIVE_FORMATS = ["zip", "tar", "tar.gz"] as const;
export const DatasetArchiveFormatSchema = z.enum(DATASET_ARCHIVE_FORMATS);
export type DatasetArchiveFormat = z.infer<typeof DatasetArchiveFormatSchema>;

/** Content types an archive upload may declare (the bytes decide the format, see sniffArchiveFormat). */
export const DATASET_ARCHIVE_CONTENT_TYPES = [
  "application/zip",
  "application/x-tar",
  "application/gzip",
] as const;

/**
 * The archive's format from its magic bytes: zip ("PK\3\4", or "PK\5\6" for an empty one), gzip
 * (taken as tar.gz) or POSIX/GNU tar ("ustar" at offset 257). Undefined for anything else.
 * @example
 * sniffArchiveFormat(new Uint8Array([0x50, 0x4b, 3, 4])); // "zip"
 */
export function sniffArchiveFormat(bytes: Uint8Array): DatasetArchiveFormat | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5))
    return "zip";
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "tar.gz";
  if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === "ustar") return "tar";
  return undefined;
}

/** The two folders of a labelled set. */
export type DatasetFolder = "images" | "masks";
export const DATASET_IMAGE_EXTENSIONS = ["jpg", "png", "webp"] as const;
export type DatasetImageExtension = (typeof DATASET_IMAGE_EXTENSIONS)[number];

export function datasetRecordKey(tenant: string, datasetId: string): string {
  return `${datasetPrefix(tenant, datasetId)}dataset.json`;
}

export function datasetReportKey(tenant: string, datasetId: string): string {
  return `${datasetPrefix(tenant, datasetId)}report.json`;
}

/** `images/<id>.<ext>` or `masks/<id>.png`: the id is checked as a key segment, the extension listed. */
export function datasetFileKey(
  tenant: string,
  datasetId: string,
  folder: DatasetFolder,
  id: string,
  ext: DatasetImageExtension,
): string {
  if (folder === "masks" && ext !== "png") {
    throw new AlignSamError("INVALID_ARGUMENT", `a mask is stored as .png, not .${ext}`);
  }
  if (!(DATASET_IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `image extension "${ext}"; expected one of: ${DATASET_IMAGE_EXTENSIONS.join(", ")}`,
    );
  }
  return `${datasetPrefix(tenant, datasetId)}${folder}/${keySegment(id, "image id")}.${ext}`;
}

/** What the API records when it accepts an upload (the import job's id is the dataset's). */
export const DatasetRecordSchema = z.object({
  v: z.literal(1),
  datasetId: KeySegmentSchema,
  jobId: KeySegmentSchema,
  /** A label the caller chose (free text, shown in listings). */
  name: z.string().min(1).max(200).optional(),
  /** COCO archives: the category whose annotations become the masks. */
  category: z.string().min(1).max(200).optional(),
  /** Known at accept for an archive sent in the body; a presigned upload is named by the worker. */
  format: DatasetArchiveFormatSchema.optional(),
  archiveBytes: z.int().min(0).optional(),
  createdAt: z.iso.datetime(),
});
export type DatasetRecord = z.infer<typeof DatasetRecordSchema>;

/**
 * Why a file of the archive was refused, or what is wrong with a kept pair (`kept: true`): the
 * codes a caller fixes its archive by.
 */
export const DATASET_FILE_ISSUES = [
  /** "../", an absolute path, a backslash, a drive letter, control characters. */
  "PATH_UNSAFE",
  /** A symlink, hard link, device, FIFO or other entry that is not a regular file. */
  "NOT_REGULAR_FILE",
  /** A zip, tar or gzip inside the archive. */
  "NESTED_ARCHIVE",
  /** Larger (uncompressed) than the per-file limit. */
  "FILE_TOO_LARGE",
  /** Encrypted, or compressed with a method other than store/deflate. */
  "UNSUPPORTED_ENTRY",
  /** Not under images/ or masks/, not an image, or (COCO) not referenced by the JSON. */
  "UNEXPECTED_FILE",
  /** A file name whose stem is not a valid id (letters, digits, '.', '_', '-'). */
  "ID_INVALID",
  /** Two files with the same id in one folder. */
  "DUPLICATE_ID",
  /** Not a JPEG, PNG or WebP, or truncated / corrupt. */
  "IMAGE_UNREADABLE",
  /** More pixels than the per-image limit. */
  "IMAGE_TOO_LARGE",
  /** A mask that is not a readable PNG. */
  "MASK_UNREADABLE",
  /** The mask's size differs from its image's. */
  "SIZE_MISMATCH",
  /** An image without a mask, or a mask without an image. */
  "UNPAIRED",
  /** The mask has no foreground pixel (kept: a negative example, but often a labelling slip). */
  "MASK_EMPTY",
  /** A COCO annotation that could not be rasterised (kept: the image's other annotations count). */
  "ANNOTATION_INVALID",
] as const;
export const DatasetFileIssueSchema = z.enum(DATASET_FILE_ISSUES);
export type DatasetFileIssue = z.infer<typeof DatasetFileIssueSchema>;

export const DatasetReportEntrySchema = z.object({
  /** The entry's path as the archive names it (control characters replaced, at most 300 chars). */
  path: z.string().max(300),
  code: DatasetFileIssueSchema,
  message: z.string(),
  /** True for a warning on a pair that was stored anyway (MASK_EMPTY, ANNOTATION_INVALID). */
  kept: z.boolean(),
});
export type DatasetReportEntry = z.infer<typeof DatasetReportEntrySchema>;

export const DatasetReportSchema = z.object({
  v: z.literal(1),
  datasetId: KeySegmentSchema,
  format: DatasetArchiveFormatSchema,
  /** How the masks came: folders of PNGs, or a COCO instances JSON rasterised for one category. */
  layout: z.enum(["folders", "coco"]),
  /** COCO: the category rasterised. */
  category: z.object({ id: z.int(), name: z.string() }).optional(),
  totals: z.object({
    /** Entries in the archive (directories included). */
    entries: z.int().min(0),
    /** Image + mask pairs stored. */
    pairs: z.int().min(0),
    /** Files refused (each listed in `files`). */
    refused: z.int().min(0),
    /** Kept pairs with a warning. */
    warnings: z.int().min(0),
    emptyMasks: z.int().min(0),
    unpaired: z.int().min(0),
    sizeMismatches: z.int().min(0),
    unreadable: z.int().min(0),
    /** Bytes inflated from the archive. */
    uncompressedBytes: z.int().min(0),
  }),
  /** The ids stored, sorted. */
  ids: z.array(KeySegmentSchema),
  /** One line per refused file or warned pair. */
  files: z.array(DatasetReportEntrySchema),
  createdAt: z.iso.datetime(),
});
export type DatasetReport = z.infer<typeof DatasetReportSchema>;

/**
 * Bounds on one archive, checked while it is unpacked (worker configuration, see
 * packages/gpu-worker/README.md). Counts and totals past a limit refuse the whole archive before
 * anything is written; a file past the per-file limits is refused alone.
 */
export interface DatasetImportLimits {
  /** Entries (files and folders). @default 5000 */
  readonly maxEntries: number;
  /** Bytes inflated over the whole archive, counted while inflating. @default 512 MiB */
  readonly maxTotalBytes: number;
  /** Bytes of one file, uncompressed. @default 32 MiB */
  readonly maxFileBytes: number;
  /** Pixels of one image or mask (from its header). @default 25 MP */
  readonly maxPixels: number;
}

export const DEFAULT_DATASET_IMPORT_LIMITS: DatasetImportLimits = {
  maxEntries: 5000,
  maxTotalBytes: 512 * 1024 * 1024,
  maxFileBytes: 32 * 1024 * 1024,
  maxPixels: 25_000_000,
};
