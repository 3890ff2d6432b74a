/**
 * The blob-store port: named byte objects under a root (an S3 bucket and prefix, or a folder). The
 * policy store, the model registry, the API and the worker all read and write through it; the
 * adapters are ./s3-store.ts and ./fs-store.ts. "Not found" is a value (undefined / false), never an
 * error, because every caller turns it into an answer of its own.
 */

/** An object as read back. */
export interface StoredBlob {
  readonly bytes: Uint8Array;
  /** The Content-Type it was written with, when the store keeps one (S3 does, a folder does not). */
  readonly contentType?: string;
}

export interface GetOptions {
  /** Refuse (RangeError) an object larger than this, before reading its body. @default no limit */
  readonly maxBytes?: number;
}

export interface PutOptions {
  /** @default "application/octet-stream" */
  readonly contentType?: string;
  /**
   * Refuse to overwrite an existing object (S3 If-None-Match: *; a folder opens with O_EXCL). A
   * refusal is an error that `isPreconditionFailed` recognises. Emulators may ignore it on S3.
   */
  readonly ifNoneMatch?: boolean;
}

export interface ListOptions {
  /** Only keys that sort after this one (S3 order: UTF-8 bytes). */
  readonly startAfter?: string;
  /** Only keys that sort before this one; the listing stops at the first key past it. */
  readonly endBefore?: string;
  /** At most this many keys; the listing stops as soon as it has them. @default every key */
  readonly limit?: number;
}

export interface BlobStore {
  /** Where the keys live, for messages: `s3://bucket/prefix` or a folder path. */
  readonly location: string;
  get(key: string, options?: GetOptions): Promise<StoredBlob | undefined>;
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** The keys under a prefix, in order (every page). */
  list(prefix: string, options?: ListOptions): Promise<string[]>;
  /** The "folders" directly under a prefix, as full prefixes ending in "/". */
  listFolders(prefix: string): Promise<string[]>;
  /** Remove an object (absent is fine, as S3 deletes are idempotent). */
  delete(key: string): Promise<void>;
  /**
   * Copy an object to a local file atomically (a temporary file, then a rename), streaming it:
   * model files are too large to hold in memory. Throws when the object is absent.
   */
  download(key: string, dest: string): Promise<void>;
}

/** Reads JSON and validates it (undefined when absent); the schema's error when it does not fit. */
export async function getJson<T>(
  store: BlobStore,
  key: string,
  schema: { parse(value: unknown): T },
  options: GetOptions = {},
): Promise<T | undefined> {
  const got = await store.get(key, options);
  if (!got) return undefined;
  return schema.parse(JSON.parse(new TextDecoder().decode(got.bytes)));
}
