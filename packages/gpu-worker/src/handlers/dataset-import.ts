/**
 * `dataset-import`: unpack a dataset archive and check it file by file. The whole archive is read
 * and judged before the first write, so an archive refused whole (corrupt, past the entry or size
 * limits) writes nothing; otherwise every good pair goes to
 * `tenants/<t>/datasets/<id>/{images,masks}/<id>.<ext>` (keys built from the validated ids, never
 * from paths in the archive) and `report.json` is written last, listing each refused file and why.
 */
import {
  AlignSamError,
  type DatasetImportLimits,
  type DatasetImportMessage,
  type DatasetReport,
  type DatasetReportEntry,
  DatasetReportSchema,
  DEFAULT_DATASET_IMPORT_LIMITS,
  datasetFileKey,
  datasetReportKey,
  inputKey,
  sniffArchiveFormat,
} from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";
import { type CheckedPair, checkCocoPair, checkFolderPair } from "../dataset-import/check-pairs.ts";
import { pairCoco } from "../dataset-import/coco-layout.ts";
import { filesOf, findCocoJson, pairFolders } from "../dataset-import/layout.ts";
import { readTar } from "../dataset-import/tar-reader.ts";
import { readZip } from "../dataset-import/zip-reader.ts";
import { startJob, succeedJob } from "../job-status.ts";
import type { HandlerResult } from "./result.ts";

/** Parallel S3 writes while storing the pairs. */
const WRITE_CONCURRENCY = 8;

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

function countCode(entries: readonly DatasetReportEntry[], ...codes: DatasetReportEntry["code"][]): number {
  return entries.filter((e) => codes.includes(e.code)).length;
}

export async function handleDatasetImport(
  ctx: HandlerContext,
  msg: DatasetImportMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const ref = {
    tenant: msg.tenant,
    jobId: msg.jobId,
    kind: "dataset" as const,
    callbackUrl: msg.callbackUrl,
  };
  const status = await startJob(ctx, ref, delivery);
  if (!status) return { outcome: "skipped" };
  const limits: DatasetImportLimits = ctx.datasetImportLimits ?? DEFAULT_DATASET_IMPORT_LIMITS;

  const archive = await ctx.storage.getBytes(inputKey(msg.tenant, msg.uploadId));
  if (!archive) {
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `the archive (upload ${msg.uploadId}) is gone; upload it again`,
    );
  }
  const format = sniffArchiveFormat(archive);
  if (!format) throw new AlignSamError("ARCHIVE_INVALID", "the upload is not a zip, tar or tar.gz archive");
  const unpacked =
    format === "zip" ? await readZip(archive, limits) : await readTar(archive, format === "tar.gz", limits);
  const { files, refused } = filesOf(unpacked.entries);

  const cocoFiles = findCocoJson(files);
  if (cocoFiles.length > 1) {
    throw new AlignSamError(
      "ARCHIVE_INVALID",
      `the archive holds ${cocoFiles.length} COCO files (${cocoFiles.map((f) => f.path).join(", ")}); send one per archive`,
    );
  }
  const entries: DatasetReportEntry[] = [...refused];
  const checked: CheckedPair[] = [];
  let category: DatasetReport["category"];
  const keep = (r: Awaited<ReturnType<typeof checkFolderPair>>) => {
    if (r.ok) {
      checked.push(r.pair);
      entries.push(...r.warnings);
    } else entries.push(r.entry);
  };
  if (cocoFiles.length === 1) {
    const coco = pairCoco(cocoFiles[0], files, msg.category, limits.maxPixels);
    category = coco.category;
    entries.push(...coco.refused);
    for (const pair of coco.pairs) keep(await checkCocoPair(pair, limits.maxPixels));
  } else {
    const folders = pairFolders(files);
    entries.push(...folders.refused);
    for (const pair of folders.pairs) keep(await checkFolderPair(pair, limits.maxPixels));
  }

  const report: DatasetReport = DatasetReportSchema.parse({
    v: 1,
    datasetId: msg.datasetId,
    format,
    layout: category ? "coco" : "folders",
    category,
    totals: {
      entries: unpacked.entries.length,
      pairs: checked.length,
      refused: entries.filter((e) => !e.kept).length,
      warnings: entries.filter((e) => e.kept).length,
      emptyMasks: checked.filter((p) => p.emptyMask).length,
      unpaired: countCode(entries, "UNPAIRED"),
      sizeMismatches: countCode(entries, "SIZE_MISMATCH"),
      unreadable: countCode(entries, "IMAGE_UNREADABLE", "MASK_UNREADABLE"),
      uncompressedBytes: unpacked.uncompressedBytes,
    },
    ids: checked.map((p) => p.id).sort(),
    files: entries,
    createdAt: ctx.now().toISOString(),
  } satisfies DatasetReport);

  await forEachLimited(checked, WRITE_CONCURRENCY, async (p) => {
    const type = p.imageExt === "jpg" ? "image/jpeg" : `image/${p.imageExt}`;
    await ctx.storage.putBytes(
      datasetFileKey(msg.tenant, msg.datasetId, "images", p.id, p.imageExt),
      p.image,
      type,
    );
    await ctx.storage.putBytes(
      datasetFileKey(msg.tenant, msg.datasetId, "masks", p.id, "png"),
      p.maskPng,
      "image/png",
    );
  });
  const reportKey = datasetReportKey(msg.tenant, msg.datasetId);
  await ctx.storage.putJson(reportKey, report);
  if (checked.length === 0) {
    throw new AlignSamError(
      "ARCHIVE_INVALID",
      `no usable image/mask pair in the archive (${report.totals.refused} files refused); GET /v1/datasets/${msg.datasetId} lists why per file`,
    );
  }
  const done = await succeedJob(
    ctx,
    status,
    { "report.json": reportKey },
    { ...report.totals, layout: report.layout },
  );
  return { outcome: "succeeded", status: done };
}
