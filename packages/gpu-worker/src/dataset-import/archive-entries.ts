/**
 * What the zip and tar readers hand on: every entry of an archive, either as the bytes of a regular
 * file that passed the path, type and size checks, or as a refusal with its reason. Limits on the
 * whole archive (entry count, inflated bytes) throw ARCHIVE_TOO_LARGE instead, so the caller writes
 * nothing. Paths are only ever reported and matched, never used to build a key.
 */
import {
  AlignSamError,
  type DatasetFileIssue,
  type DatasetImportLimits,
  sniffArchiveFormat,
} from "@alignsam/core/light";

export type ArchiveEntry =
  | { readonly kind: "file"; readonly path: string; readonly bytes: Uint8Array }
  /** A folder: counted, otherwise ignored. */
  | { readonly kind: "directory"; readonly path: string }
  | {
      readonly kind: "refused";
      readonly path: string;
      readonly code: DatasetFileIssue;
      readonly message: string;
    };

export interface UnpackedArchive {
  readonly entries: readonly ArchiveEntry[];
  /** Bytes inflated (zip) or read from the tar stream's file bodies. */
  readonly uncompressedBytes: number;
}

/** A path as shown in the report: control characters made visible, length bounded. */
export function displayPath(path: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const shown = path.replace(/[\u0000-\u001f\u007f]/g, "?");
  return shown.length > 300 ? `${shown.slice(0, 297)}...` : shown;
}

/**
 * Why a path cannot be taken as it is (zip slip and friends), or undefined when it is a plain
 * relative path. Checked on the raw name, before any normalisation could hide a "..".
 */
export function unsafePathReason(path: string): string | undefined {
  if (path.length === 0) return "the entry has no name";
  if (path.includes("\\")) return "the path contains a backslash";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return "the path contains control characters";
  if (path.startsWith("/")) return "the path is absolute";
  if (/^[A-Za-z]:/.test(path)) return "the path starts with a drive letter";
  if (path.split("/").some((s) => s === "..")) return "the path climbs out of the archive ('..')";
  return undefined;
}

const ARCHIVE_EXTENSIONS = /\.(zip|tar|tgz|gz|bz2|xz|zst|7z|rar|jar)$/i;

/** A nested archive, by its name or by its first bytes. */
export function looksLikeArchive(path: string, bytes?: Uint8Array): boolean {
  return ARCHIVE_EXTENSIONS.test(path) || (bytes !== undefined && sniffArchiveFormat(bytes) !== undefined);
}

/** ARCHIVE_TOO_LARGE for an archive whose files inflate past the total limit (zip, or tar.gz's gzip layer). */
export function inflatesPastLimit(limits: DatasetImportLimits): AlignSamError {
  return new AlignSamError(
    "ARCHIVE_TOO_LARGE",
    `the archive inflates to more than ${limits.maxTotalBytes} bytes (the limit); nothing was imported. Split it into smaller archives`,
    { maxTotalBytes: limits.maxTotalBytes },
  );
}

/** Counts entries and inflated bytes against the limits; throws ARCHIVE_TOO_LARGE past either. */
export class ArchiveBudget {
  readonly limits: DatasetImportLimits;
  entries = 0;
  bytes = 0;

  constructor(limits: DatasetImportLimits) {
    this.limits = limits;
  }

  /** Check a declared entry count before reading any entry (zip: the central directory's). */
  checkDeclaredEntries(count: number): void {
    if (count > this.limits.maxEntries) this.tooManyEntries(count);
  }

  addEntry(): void {
    this.entries++;
    if (this.entries > this.limits.maxEntries) this.tooManyEntries(this.entries);
  }

  addBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes) throw inflatesPastLimit(this.limits);
  }

  private tooManyEntries(count: number): never {
    throw new AlignSamError(
      "ARCHIVE_TOO_LARGE",
      `the archive has ${count} entries, more than the ${this.limits.maxEntries} accepted; nothing was imported. Split it into smaller archives`,
      { entries: count, maxEntries: this.limits.maxEntries },
    );
  }
}

/** The refusal of a file whose inflated size passed the per-file limit. */
export function fileTooLarge(path: string, limits: DatasetImportLimits): ArchiveEntry {
  return {
    kind: "refused",
    path: displayPath(path),
    code: "FILE_TOO_LARGE",
    message: `larger than the ${limits.maxFileBytes} bytes one file may have`,
  };
}

/** The checks every regular file passes before its bytes are read: a safe path, not an archive. */
export function refuseByPath(path: string): ArchiveEntry | undefined {
  const unsafe = unsafePathReason(path);
  if (unsafe) return { kind: "refused", path: displayPath(path), code: "PATH_UNSAFE", message: unsafe };
  if (looksLikeArchive(path)) {
    return {
      kind: "refused",
      path: displayPath(path),
      code: "NESTED_ARCHIVE",
      message: "archives inside the archive are not unpacked",
    };
  }
  return undefined;
}

/** The refusal of a link, device, FIFO or socket: `what` names it ("a symbolic link"). */
export function notRegularFile(path: string, what: string): ArchiveEntry {
  return {
    kind: "refused",
    path: displayPath(path),
    code: "NOT_REGULAR_FILE",
    message: `${what}; only regular files are read`,
  };
}

/** A regular file's bytes once read: the file, unless they are an archive too (a zip renamed .png). */
export function fileOrNested(path: string, bytes: Uint8Array): ArchiveEntry {
  if (sniffArchiveFormat(bytes) === undefined) return { kind: "file", path, bytes };
  return {
    kind: "refused",
    path: displayPath(path),
    code: "NESTED_ARCHIVE",
    message: "the file is itself an archive (by its bytes); archives inside the archive are not unpacked",
  };
}
