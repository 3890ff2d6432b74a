/**
 * Labelled sets in S3 (`tenants/<tenant>/datasets/<id>/images/<id>.<ext>` and `masks/<id>.png`,
 * the layout of the local datasets folder): listing them into pairs and loading them.
 */
import { AlignSamError, datasetPrefix, type EvaluationItem, KEY_SEGMENT_PATTERN } from "@alignsam/core/light";
import { decodeBinaryMaskPng } from "@alignsam/core/mask";
import type { LabelledImage } from "./engine.ts";
import type { Storage } from "./storage.ts";
import {
  DEFAULT_IMAGE_LIMITS,
  decodeForJob,
  type ImageLimits,
  labelsAtWorkingSize,
} from "./working-image.ts";

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

/** Pair images with masks by file stem; images without a mask are skipped. Sorted by id. */
export async function listLabelled(
  storage: Storage,
  tenant: string,
  datasetId: string,
): Promise<EvaluationItem[]> {
  const root = datasetPrefix(tenant, datasetId);
  const keys = await storage.list(root);
  const images = new Map<string, string>();
  const masks = new Map<string, string>();
  for (const key of keys) {
    const rest = key.slice(root.length);
    const [folder, file, ...more] = rest.split("/");
    if (!file || more.length > 0 || !KEY_SEGMENT_PATTERN.test(file)) continue;
    const stem = file.replace(/\.[^.]+$/, "");
    if (folder === "images" && IMAGE_EXT.test(file)) images.set(stem, file);
    if (folder === "masks" && /\.png$/i.test(file)) masks.set(stem, file);
  }
  const items: EvaluationItem[] = [];
  for (const [id, image] of images) {
    const mask = masks.get(id);
    if (mask && KEY_SEGMENT_PATTERN.test(id)) items.push({ id, image, mask });
  }
  return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Read and decode one labelled image, at the working size (./working-image.ts). */
export async function loadLabelled(
  storage: Storage,
  tenant: string,
  datasetId: string,
  item: EvaluationItem,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<LabelledImage> {
  const root = datasetPrefix(tenant, datasetId);
  const [imageBytes, maskBytes] = await Promise.all([
    storage.getBytes(`${root}images/${item.image}`),
    storage.getBytes(`${root}masks/${item.mask}`),
  ]);
  if (!imageBytes || !maskBytes) {
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `dataset "${datasetId}" lacks image or mask of "${item.id}"`,
      {
        datasetId,
        id: item.id,
      },
    );
  }
  const working = await decodeForJob(imageBytes, limits);
  const mask = await decodeBinaryMaskPng(maskBytes, { maxPixels: limits.maxPixels });
  if (mask.width !== working.originalWidth || mask.height !== working.originalHeight) {
    throw new AlignSamError(
      "DATASET_MISMATCH",
      `mask of "${item.id}" is ${mask.width}x${mask.height} but its image is ${working.originalWidth}x${working.originalHeight}`,
    );
  }
  return { id: item.id, image: working.image, mask: labelsAtWorkingSize(mask, working) };
}
