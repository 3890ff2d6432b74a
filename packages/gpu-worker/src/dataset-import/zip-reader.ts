/**
 * Read a zip with yauzl, which walks the central directory, the archive's own index: it alone
 * carries each entry's Unix mode (so symlinks and devices are seen) and the entry count, which is
 * checked before any entry is read. yauzl validates every entry's declared sizes while it inflates,
 * so an entry cannot inflate past what it declares, and the declared size is checked against the
 * per-file limit first; the total is counted chunk by chunk as it inflates, so a zip bomb stops at
 * the limit. Zip64 archives are read like any other.
 */
import type { Readable } from "node:stream";
import { AlignSamError, type DatasetImportLimits } from "@alignsam/core/light";
import { type Entry, fromBufferPromise, getFileNameLowLevel, type ZipFile } from "yauzl";
import {
  ArchiveBudget,
  type ArchiveEntry,
  displayPath,
  fileOrNested,
  fileTooLarge,
  notRegularFile,
  refuseByPath,
  type UnpackedArchive,
} from "./archive-entries.ts";

/** "Made by" host 3: Unix, whose mode sits in the high 16 bits of the external attributes. */
const HOST_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function corrupt(e: unknown): AlignSamError {
  const why = e instanceof Error ? e.message : String(e);
  return new AlignSamError("ARCHIVE_INVALID", `the zip archive is corrupt or unsupported: ${why}`);
}

/**
 * The entry's name, decoded by yauzl (UTF-8 flag, Info-ZIP Unicode path, else CP437) but not
 * validated or rewritten by it: yauzl's own check fails the whole archive on the first "../" and
 * its lenient mode turns "\" into "/", whereas each unsafe name must become its own refusal.
 */
function nameOf(entry: Entry): string {
  return getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
}

function fileType(entry: Entry, name: string): "file" | "directory" | "symlink" | "other" {
  if (entry.versionMadeBy >> 8 === HOST_UNIX) {
    const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
    if (type === S_IFLNK) return "symlink";
    if (type === S_IFDIR) return "directory";
    if (type !== 0 && type !== S_IFREG) return "other";
  }
  return name.endsWith("/") ? "directory" : "file";
}

/** Inflate one entry, counting every chunk against the archive's total as it arrives. */
async function inflate(zip: ZipFile, entry: Entry, budget: ArchiveBudget): Promise<Uint8Array> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw corrupt(e); // a missing local header or data past the end of the file
  }
  const chunks: Buffer[] = [];
  // Leaving the loop early (the total throws) destroys the stream.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    budget.addBytes(chunk.byteLength);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** One entry: its refusal or its bytes. Throws only for the whole archive. */
async function readEntry(
  zip: ZipFile,
  entry: Entry,
  budget: ArchiveBudget,
  limits: DatasetImportLimits,
): Promise<ArchiveEntry> {
  const name = nameOf(entry);
  const path = displayPath(name);
  const type = fileType(entry, name);
  if (type === "directory") return { kind: "directory", path };
  if (type !== "file") {
    const what = type === "symlink" ? "a symbolic link" : "not a regular file (device, FIFO or socket)";
    return notRegularFile(name, what);
  }
  const refused = refuseByPath(name);
  if (refused) return refused;
  if (entry.isEncrypted()) {
    return { kind: "refused", path, code: "UNSUPPORTED_ENTRY", message: "the entry is encrypted" };
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return {
      kind: "refused",
      path,
      code: "UNSUPPORTED_ENTRY",
      message: `compression method ${entry.compressionMethod} is not supported (store or deflate only)`,
    };
  }
  if (entry.uncompressedSize > limits.maxFileBytes) return fileTooLarge(name, limits);
  let data: Uint8Array;
  try {
    data = await inflate(zip, entry, budget);
  } catch (e) {
    if (e instanceof AlignSamError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    // yauzl's size check: the entry inflates past the size it declares (a zip bomb's lie).
    if (message.startsWith("too many bytes")) {
      return {
        kind: "refused",
        path,
        code: "FILE_TOO_LARGE",
        message: `inflates past the ${entry.uncompressedSize} bytes it declares; not read further`,
      };
    }
    return { kind: "refused", path, code: "UNSUPPORTED_ENTRY", message: `cannot inflate: ${message}` };
  }
  return fileOrNested(name, data);
}

/**
 * Every entry of a zip, checked. Rejects with ARCHIVE_INVALID for a corrupt or unsupported archive
 * and ARCHIVE_TOO_LARGE past the entry or total-size limits.
 */
export async function readZip(bytes: Uint8Array, limits: DatasetImportLimits): Promise<UnpackedArchive> {
  const budget = new ArchiveBudget(limits);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: ZipFile;
  try {
    zip = await fromBufferPromise(buffer, {
      lazyEntries: true,
      validateEntrySizes: true,
      decodeStrings: false, // names are decoded in nameOf, so a bad one is refused alone
    });
  } catch (e) {
    throw corrupt(e);
  }
  budget.checkDeclaredEntries(zip.entryCount);
  const out: ArchiveEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      budget.addEntry();
      out.push(await readEntry(zip, entry, budget, limits));
    }
  } catch (e) {
    // yauzl's own errors here mean a malformed central directory record.
    throw e instanceof AlignSamError ? e : corrupt(e);
  } finally {
    zip.close();
  }
  return { entries: out, uncompressedBytes: budget.bytes };
}
