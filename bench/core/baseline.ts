/**
 * The code as it stood before the performance work (commit 6c2edd3), read from git history at run
 * time into the git-ignored .data/ folder, so the benchmarks time the old and the new path in one
 * process without keeping a second copy of the old code in the tree. The extracted tree resolves
 * its packages through the repository's node_modules like the current one.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { createClassicSegmenter } from "../../packages/core/src/models/classic/index.ts";
import type { probabilityFromLowRes } from "../../packages/core/src/pipeline/frame.ts";

/** The last commit before the classic backend and the probability map were optimised. */
export const BASELINE_COMMIT = "6c2edd3";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface Baseline {
  readonly createClassicSegmenter: typeof createClassicSegmenter;
  readonly probabilityFromLowRes: typeof probabilityFromLowRes;
}

let loaded: Promise<Baseline> | undefined;

/**
 * The baseline's classic segmenter and probability map. Needs the repository's git history (a
 * shallow clone without that commit fails with a message that says so).
 */
export function loadBaseline(): Promise<Baseline> {
  loaded ??= extractAndImport();
  return loaded;
}

async function extractAndImport(): Promise<Baseline> {
  const dir = join(REPO, ".data", `baseline-${BASELINE_COMMIT}`);
  const src = join(dir, "packages/core/src");
  if (!existsSync(join(src, "models/classic/index.ts"))) {
    const archive = spawnSync(
      "git",
      ["-C", REPO, "archive", "--format=tar", BASELINE_COMMIT, "packages/core/src"],
      {
        maxBuffer: 512 * 2 ** 20,
      },
    );
    if (archive.status !== 0) {
      throw new Error(
        `cannot read the baseline commit ${BASELINE_COMMIT} from git (is this a shallow clone?): ${archive.stderr}`,
      );
    }
    mkdirSync(dir, { recursive: true });
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`cannot unpack the baseline into ${dir}: ${untar.stderr}`);
  }
  const at = (path: string) => pathToFileURL(join(src, path)).href;
  const classic = (await import(at("models/classic/index.ts"))) as Pick<Baseline, "createClassicSegmenter">;
  const frame = (await import(at("pipeline/frame.ts"))) as Pick<Baseline, "probabilityFromLowRes">;
  return {
    createClassicSegmenter: classic.createClassicSegmenter,
    probabilityFromLowRes: frame.probabilityFromLowRes,
  };
}
