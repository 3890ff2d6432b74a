/**
 * Datasets are named by their S3 prefix. Only prefixes inside the caller's datasets area are
 * accepted (`tenants/<tenant>/datasets/<id>/`, optionally as `s3://<bucket>/...`), each segment
 * checked as a key segment, so no request can make the workers read outside it.
 */

import type { EvaluationItem } from "@alignsam/core/light";
import { AlignSamError, KeySegmentSchema } from "@alignsam/core/light";
import type { Store } from "../storage/store.ts";

const IMAGE_EXTENSIONS = new Set(["jpg", "jpeg", "png", "webp"]);

function refuse(value: string, why: string, expected: string): never {
  throw new AlignSamError("INVALID_ARGUMENT", `dataset "${value}" ${why}; expected ${expected}`, {
    field: "dataset",
    expected,
  });
}

/**
 * Return the dataset id a prefix names, refusing other buckets, other tenants, other areas and any
 * segment that is not a plain name (so "..", "%2e%2e", "//" and absolute paths all fail).
 *
 * @example
 * parseDatasetRef("s3://alignsam-data/tenants/public/datasets/shadow-val/", { bucket: "alignsam-data", tenant: "public" }); // "shadow-val"
 */
export function parseDatasetRef(value: string, where: { bucket: string; tenant: string }): string {
  const expected = `"tenants/${where.tenant}/datasets/<datasetId>/" (or s3://${where.bucket}/...)`;
  let path = value;
  if (path.startsWith("s3://")) {
    const rest = path.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (bucket !== where.bucket) refuse(value, `is in bucket "${bucket}", not "${where.bucket}"`, expected);
    path = slash < 0 ? "" : rest.slice(slash + 1);
  }
  const segments = path.replace(/\/$/, "").split("/");
  if (segments.length !== 4 || segments[0] !== "tenants" || segments[2] !== "datasets") {
    refuse(value, "is not a datasets prefix", expected);
  }
  if (segments[1] !== where.tenant)
    refuse(value, `belongs to another tenant than "${where.tenant}"`, expected);
  const id = segments[3];
  if (!KeySegmentSchema.safeParse(id).success) refuse(value, "has an invalid dataset id", expected);
  return id;
}

export interface DatasetListing {
  readonly items: EvaluationItem[];
  /** Images without a mask and masks without an image (file names), for the caller to fix. */
  readonly unpaired: string[];
}

function fileName(key: string, folder: string): string | undefined {
  const name = key.slice(folder.length);
  return name.includes("/") ? undefined : name;
}

function stemAndExtension(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? [name, ""] : [name.slice(0, dot), name.slice(dot + 1).toLowerCase()];
}

/**
 * Pair `images/<id>.(jpg|jpeg|png|webp)` with `masks/<id>.png` under a dataset prefix, sorted by id.
 * Throws DATASET_NOT_FOUND when the prefix holds no images, DATASET_MISMATCH when none pair up.
 */
export async function listDatasetPairs(
  store: Store,
  prefix: string,
  maxImages: number,
): Promise<DatasetListing> {
  const imagesFolder = `${prefix}images/`;
  const masksFolder = `${prefix}masks/`;
  const [imageKeys, maskKeys] = await Promise.all([
    store.listKeys(imagesFolder, maxImages * 2 + 1),
    store.listKeys(masksFolder, maxImages * 2 + 1),
  ]);
  if (imageKeys.length === 0) {
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `no images under ${imagesFolder}; upload images/ and masks/ first`,
    );
  }
  const masks = new Map<string, string>();
  for (const key of maskKeys) {
    const name = fileName(key, masksFolder);
    if (!name) continue;
    const [stem, ext] = stemAndExtension(name);
    if (ext === "png" && KeySegmentSchema.safeParse(stem).success) masks.set(stem, name);
  }
  const items: EvaluationItem[] = [];
  const unpaired: string[] = [];
  const paired = new Set<string>();
  for (const key of imageKeys) {
    const name = fileName(key, imagesFolder);
    if (!name) continue;
    const [stem, ext] = stemAndExtension(name);
    const mask = masks.get(stem);
    if (IMAGE_EXTENSIONS.has(ext) && mask && KeySegmentSchema.safeParse(name).success && !paired.has(stem)) {
      items.push({ id: stem, image: name, mask });
      paired.add(stem);
    } else {
      unpaired.push(`images/${name}`);
    }
  }
  for (const [stem, name] of masks) if (!paired.has(stem)) unpaired.push(`masks/${name}`);
  if (items.length === 0) {
    throw new AlignSamError(
      "DATASET_MISMATCH",
      `no image under ${imagesFolder} has a mask of the same name in masks/`,
      {
        unpaired: unpaired.slice(0, 20),
      },
    );
  }
  if (items.length > maxImages) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `the dataset has more than the ${maxImages} images one evaluation accepts`,
      {
        maxImages,
      },
    );
  }
  items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { items, unpaired };
}
