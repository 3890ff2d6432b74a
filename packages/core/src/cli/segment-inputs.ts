/**
 * What `alignsam segment` reads: its arguments expanded (a folder stands for the images directly in
 * it), output stems checked for collisions, and each file read with a one-line reason on failure.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { AlignSamError } from "../errors.ts";

/** File extensions a folder argument contributes (the formats decodeImage reads). */
export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp"] as const;

/**
 * The image paths to segment: files as given, a folder as its image files (sorted, not recursive).
 * A path that does not exist stays in the list so that the batch names it as failed and goes on.
 * @example await expandInputs(["photos/", "extra.jpg"]) // ["photos/a.jpg", "photos/b.png", "extra.jpg"]
 */
export async function expandInputs(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info?.isDirectory()) {
      out.push(arg);
      continue;
    }
    const names = (await readdir(arg, { withFileTypes: true }))
      .filter(
        (d) =>
          !d.isDirectory() && (IMAGE_EXTENSIONS as readonly string[]).includes(extname(d.name).toLowerCase()),
      )
      .map((d) => d.name)
      .sort();
    if (names.length === 0) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `folder ${arg} holds no images (${IMAGE_EXTENSIONS.join(", ")}); pass image files or a folder of them`,
        { path: arg },
      );
    }
    out.push(...names.map((n) => join(arg, n)));
  }
  return out;
}

/** Output file stems must not collide: two `x.jpg` from different folders would overwrite each other. */
export function outputStems(paths: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return paths.map((p) => {
    const stem = basename(p, extname(p));
    const other = seen.get(stem);
    if (other !== undefined) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `${other} and ${p} would both write ${stem}.*; segment them in separate runs or rename one`,
      );
    }
    seen.set(stem, p);
    return stem;
  });
}

const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "it is a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
};

/** The file's bytes, or INVALID_ARGUMENT naming the file and why it cannot be read. */
export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `cannot read image ${path}: ${READ_FAILURES[code] ?? (e as Error).message}`,
      { path, ...(code ? { errno: code } : {}) },
    );
  }
}
