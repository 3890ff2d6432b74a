/**
 * Which images a batch request names, resolved and checked before the 202: the image files under a
 * dataset prefix of the caller's tenant (`tenants/<t>/datasets/<id>/images/`), or a list of the
 * caller's uploads, each of which must exist. Ids are unique key segments (a file name, an upload
 * id), so the workers' keys cannot leave the batch's prefix.
 */
import {
  AlignSamError,
  type BatchItem,
  type BatchSource,
  datasetPrefix,
  inputKey,
  KeySegmentSchema,
} from "@alignsam/core/light";
import { parseDatasetRef } from "../datasets/dataset-ref.ts";
import type { RouteContext } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { mapLimited } from "../usage/summary.ts";

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;
const EXISTS_CONCURRENCY = 16;

/** One entry of a request's upload list: an upload id, optionally with the file name COCO shows. */
export type UploadRef = string | { uploadId: string; fileName?: string };

export interface ResolvedImages {
  readonly source: BatchSource;
  readonly items: BatchItem[];
  /** Files under the prefix that are not taken (not an image name, not a plain key segment). */
  readonly skipped: string[];
}

function tooMany(count: string, max: number): AlignSamError {
  return new AlignSamError(
    "INVALID_ARGUMENT",
    `a batch takes at most ${max} images (ALIGNSAM_MAX_BATCH_IMAGES); ${count}: split it into several batches`,
    { field: "images", maxImages: max },
  );
}

/** The image files directly under `<dataset>/images/`, sorted by name. */
export async function listPrefixImages(
  ctx: RouteContext,
  tenant: string,
  prefix: string,
  maxImages: number,
): Promise<ResolvedImages> {
  const datasetId = parseDatasetRef(prefix, { bucket: ctx.config.bucket, tenant });
  const folder = `${datasetPrefix(tenant, datasetId)}images/`;
  const keys = await ctx.store.listKeys(folder, maxImages * 2 + 1);
  const items: BatchItem[] = [];
  const skipped: string[] = [];
  for (const key of keys) {
    const name = key.slice(folder.length);
    if (IMAGE_FILE.test(name) && KeySegmentSchema.safeParse(name).success) {
      items.push({ id: name, name, fileName: name });
    } else {
      skipped.push(name);
    }
  }
  if (items.length === 0) {
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `no images (.jpg, .jpeg, .png, .webp) under ${folder}; upload them first`,
      { field: "images", skipped: skipped.slice(0, 20) },
    );
  }
  if (items.length > maxImages || keys.length > maxImages * 2)
    throw tooMany(`${folder} holds more`, maxImages);
  items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { source: { kind: "dataset", datasetId }, items, skipped };
}

/** The listed uploads, each checked to exist; duplicates (of ids or file names) are refused. */
export async function checkUploads(
  ctx: RouteContext,
  tenant: string,
  refs: readonly UploadRef[],
  maxImages: number,
): Promise<ResolvedImages> {
  if (refs.length > maxImages) throw tooMany(`${refs.length} were listed`, maxImages);
  const items: BatchItem[] = refs.map((r) => {
    const uploadId = typeof r === "string" ? r : r.uploadId;
    const fileName = typeof r === "string" ? r : (r.fileName ?? r.uploadId);
    return { id: uploadId, name: uploadId, fileName };
  });
  for (const field of ["id", "fileName"] as const) {
    const seen = new Set<string>();
    const twice = items.find((i) => seen.size === seen.add(i[field]).size);
    if (twice) {
      const what = field === "id" ? `upload "${twice.id}"` : `file name "${twice.fileName}"`;
      throw new AlignSamError("INVALID_ARGUMENT", `${what} is listed twice; list each image once`, {
        field: "images",
      });
    }
  }
  const present = await mapLimited(items, EXISTS_CONCURRENCY, (i) =>
    ctx.store.exists(inputKey(tenant, i.name)),
  );
  const missing = items.filter((_, n) => !present[n]).map((i) => i.id);
  if (missing.length > 0) {
    throw new HttpError(
      404,
      "UPLOAD_NOT_FOUND",
      `${missing.length} upload(s) not found (first: "${missing[0]}"); PUT each image to the URL from POST /v1/uploads first`,
      { missing: missing.slice(0, 20) },
    );
  }
  return { source: { kind: "uploads" }, items, skipped: [] };
}
