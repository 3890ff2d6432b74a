/**
 * Read a tar (or a gzipped tar) with tar-stream. The gzip layer is inflated by node:zlib with
 * `maxOutputLength`, so a gzip bomb stops at the archive's total limit plus room for the tar
 * headers; the tar layer stores sizes exactly, so a file past the per-file limit is refused from
 * its header without being read. Links, devices and FIFOs are refused by their header type.
 */
import { gunzipSync } from "node:zlib";
import { AlignSamError, type DatasetImportLimits } from "@alignsam/core/light";
import { extract } from "tar-stream";
import {
  ArchiveBudget,
  type ArchiveEntry,
  displayPath,
  fileOrNested,
  fileTooLarge,
  inflatesPastLimit,
  notRegularFile,
  refuseByPath,
  type UnpackedArchive,
} from "./archive-entries.ts";

/** Tar bytes beyond the file bodies: a 512-byte header (and up to 511 of padding) per entry, long-name records, the end blocks. */
const TAR_OVERHEAD_PER_ENTRY = 2048;

function gunzipBounded(bytes: Uint8Array, limits: DatasetImportLimits): Uint8Array {
  const cap = limits.maxTotalBytes + (limits.maxEntries + 1) * TAR_OVERHEAD_PER_ENTRY;
  try {
    return gunzipSync(bytes, { maxOutputLength: cap });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      throw inflatesPastLimit(limits);
    }
    throw new AlignSamError("ARCHIVE_INVALID", `the gzip layer is corrupt: ${(e as Error).message}`);
  }
}

async function readBody(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Every entry of a tar (gzipped when `gzipped`), checked. Throws ARCHIVE_INVALID for a corrupt tar
 * and ARCHIVE_TOO_LARGE past the entry or total-size limits.
 */
export async function readTar(
  bytes: Uint8Array,
  gzipped: boolean,
  limits: DatasetImportLimits,
): Promise<UnpackedArchive> {
  const tar = gzipped ? gunzipBounded(bytes, limits) : bytes;
  const budget = new ArchiveBudget(limits);
  const out: ArchiveEntry[] = [];
  const reader = extract();
  reader.end(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  try {
    for await (const entry of reader) {
      budget.addEntry();
      const { name, type, size } = entry.header;
      const path = displayPath(name);
      if (type === "directory") {
        out.push({ kind: "directory", path });
        entry.resume();
        continue;
      }
      let refused: ArchiveEntry | undefined;
      if (type !== "file" && type !== "contiguous-file") {
        const what =
          type === "symlink" || type === "link"
            ? `a ${type === "link" ? "hard" : "symbolic"} link`
            : `a ${type}`;
        refused = notRegularFile(name, what);
      } else {
        refused = refuseByPath(name) ?? (size > limits.maxFileBytes ? fileTooLarge(name, limits) : undefined);
      }
      if (refused) {
        out.push(refused);
        entry.resume();
        continue;
      }
      budget.addBytes(size);
      const body = await readBody(entry as unknown as AsyncIterable<Uint8Array>);
      out.push(fileOrNested(name, body));
    }
  } catch (e) {
    if (e instanceof AlignSamError) throw e;
    throw new AlignSamError("ARCHIVE_INVALID", `the tar archive is corrupt: ${(e as Error).message}`);
  }
  return { entries: out, uncompressedBytes: budget.bytes };
}
