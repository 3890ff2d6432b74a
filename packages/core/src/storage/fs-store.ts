/**
 * The filesystem adapter of the blob-store port: keys are '/'-separated paths under a folder. It
 * serves local policy folders and model packages, and stands in for S3 wherever a folder is given.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { AlignSamError } from "../errors.ts";
import type { BlobStore } from "./blob-store.ts";
import { isNotFound } from "./errors.ts";

/** A refused overwrite, shaped like S3's so isPreconditionFailed classifies both alike. */
function preconditionFailed(key: string): Error {
  return Object.assign(new Error(`${key} already exists`), {
    name: "PreconditionFailed",
    $metadata: { httpStatusCode: 412 },
  });
}

async function walk(dir: string, rel: string, out: string[]): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  for (const entry of entries) {
    const key = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(dir, key, out);
    else if (entry.isFile() && !/\.part-\d+-/.test(entry.name)) out.push(key);
  }
}

/** S3 lists keys in UTF-8 byte order; so does this. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * @example
 * const store = createFsBlobStore("policies/blur");
 * const card = await store.get("card.json");
 */
export function createFsBlobStore(dir: string): BlobStore {
  const file = (key: string) => {
    const parts = key.split("/");
    if (path.isAbsolute(key) || parts.some((p) => p === ".." || p === "")) {
      throw new AlignSamError("INVALID_ARGUMENT", `"${key}" is not a relative key under ${dir}`, { key });
    }
    return path.join(dir, ...parts);
  };

  const allKeys = async () => {
    const keys: string[] = [];
    await walk(dir, "", keys);
    return keys.sort(byteOrder);
  };

  return {
    location: dir,
    async get(key, { maxBytes } = {}) {
      try {
        if (maxBytes !== undefined && (await stat(file(key))).size > maxBytes) {
          throw new RangeError(`object ${key} is larger than ${maxBytes} bytes`);
        }
        return { bytes: new Uint8Array(await readFile(file(key))) };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async put(key, body, { ifNoneMatch } = {}) {
      const target = file(key);
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await writeFile(target, body, ifNoneMatch ? { flag: "wx" } : {});
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") throw preconditionFailed(key);
        throw e;
      }
    },
    async exists(key) {
      try {
        return (await stat(file(key))).isFile();
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
    async list(prefix, { startAfter, endBefore, limit = Number.POSITIVE_INFINITY } = {}) {
      const keys = (await allKeys()).filter(
        (k) =>
          k.startsWith(prefix) &&
          (startAfter === undefined || byteOrder(k, startAfter) > 0) &&
          (endBefore === undefined || byteOrder(k, endBefore) < 0),
      );
      return keys.slice(0, Math.max(0, limit));
    },
    async listFolders(prefix) {
      const folders = new Set<string>();
      for (const k of await allKeys()) {
        if (!k.startsWith(prefix)) continue;
        const slash = k.indexOf("/", prefix.length);
        if (slash >= 0) folders.add(k.slice(0, slash + 1));
      }
      return [...folders];
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
    async download(key, dest) {
      await mkdir(path.dirname(dest), { recursive: true });
      const part = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        await copyFile(file(key), part);
        await rename(part, dest);
      } finally {
        await rm(part, { force: true });
      }
    },
  };
}
