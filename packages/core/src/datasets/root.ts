/**
 * Where the datasets live: ALIGNSAM_DATASETS when set, else `../shared/datasets` beside the
 * repository (the repository root is found from this file, not from the working directory, so the CLI
 * works from any folder).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable that overrides the datasets root. */
export const DATASETS_ENV = "ALIGNSAM_DATASETS";

/**
 * The repository root: the nearest folder above `from` whose package.json declares npm workspaces;
 * if none is found (e.g. a bundled build), four levels above this file (packages/core/src/datasets).
 */
export function findRepositoryRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { workspaces?: unknown };
        if (parsed.workspaces !== undefined) return dir;
      } catch {
        // an unreadable package.json is not the root; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
}

/**
 * The datasets root folder (absolute).
 * @example resolveDatasetsRoot({ ALIGNSAM_DATASETS: "/data" }) // "/data"
 */
export function resolveDatasetsRoot(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env[DATASETS_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return resolve(fromEnv);
  return resolve(findRepositoryRoot(), "../shared/datasets");
}
