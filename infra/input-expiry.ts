/**
 * Uploaded inputs (`tenants/<tenant>/inputs/<uploadId>`) that nothing used, or whose job is long done,
 * are deleted once older than a TTL. S3 lifecycle rules filter by key prefix (or by tag), and here the
 * tenant comes first, so no prefix rule can name every tenant's inputs; tagging each upload would make
 * presigned-PUT clients send an `x-amz-tagging` header. So a sweep does it instead: the local stack
 * runs it on a timer (infra/local/input-janitor.ts) and AWS on a schedule (infra/aws/input-janitor.ts).
 */
import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";

/** How long an uploaded input is kept. */
export const INPUT_TTL_SECONDS_DEFAULT = 86_400;

const TENANTS = "tenants/";
/** S3's DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

export interface ExpireInputsOptions {
  /** Inputs last modified more than this long ago are deleted. */
  ttlSeconds: number;
  /** @default new Date() */
  now?: Date;
}

/**
 * Delete every tenant's inputs older than the TTL; returns the keys deleted. Nothing outside
 * `tenants/<t>/inputs/` is listed or touched.
 *
 * @example
 * const { deleted } = await expireInputs(s3, "alignsam-local", { ttlSeconds: 86_400 });
 */
export async function expireInputs(
  s3: S3Client,
  bucket: string,
  options: ExpireInputsOptions,
): Promise<{ deleted: string[] }> {
  const cutoff = (options.now ?? new Date()).getTime() - options.ttlSeconds * 1000;
  const deleted: string[] = [];
  const tenantPages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: TENANTS, Delimiter: "/" },
  );
  for await (const tenants of tenantPages) {
    for (const { Prefix: tenant } of tenants.CommonPrefixes ?? []) {
      if (!tenant) continue;
      let batch: string[] = [];
      const inputPages = paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: `${tenant}inputs/` },
      );
      for await (const page of inputPages) {
        for (const o of page.Contents ?? []) {
          if (o.Key && o.LastModified && o.LastModified.getTime() < cutoff) batch.push(o.Key);
          if (batch.length === DELETE_BATCH) {
            deleted.push(...(await deleteKeys(s3, bucket, batch)));
            batch = [];
          }
        }
      }
      if (batch.length > 0) deleted.push(...(await deleteKeys(s3, bucket, batch)));
    }
  }
  return { deleted };
}

async function deleteKeys(s3: S3Client, bucket: string, keys: string[]): Promise<string[]> {
  const out = await s3.send(
    new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false },
    }),
  );
  const failed = out.Errors ?? [];
  if (failed.length > 0) {
    throw new Error(
      `could not delete ${failed.length} expired input(s), e.g. ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message}`,
    );
  }
  return keys;
}
