/**
 * Builds the playground page: bundles src/main.ts with rolldown, fingerprints the script and the
 * stylesheet, and writes dist/index.html pointing at them, plus dist/build.json with a hash of the
 * sources so callers (the browser tests, `prestart`) can rebuild only when something changed.
 * The new dist is assembled beside the old one and swapped in, so a server never reads half a build.
 *
 * Run: `npm exec -- node packages/api/playground/build.ts` (or the root `npm run build`).
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

export const PLAYGROUND_ROOT = dirname(fileURLToPath(import.meta.url));
export const PLAYGROUND_DIST = resolve(PLAYGROUND_ROOT, "dist");

/** Files whose content decides the build: the page, its stylesheet, this script, every source. */
async function sourceFiles(): Promise<string[]> {
  const src = (await readdir(resolve(PLAYGROUND_ROOT, "src"))).filter((f) => f.endsWith(".ts")).sort();
  return ["index.html", "style.css", "build.ts", ...src.map((f) => join("src", f))];
}

/** SHA-256 over the sources' names and contents. */
export async function playgroundSourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await sourceFiles()) {
    hash.update(file);
    hash.update(await readFile(resolve(PLAYGROUND_ROOT, file)));
  }
  return hash.digest("hex");
}

const short = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex").slice(0, 10);

export interface PlaygroundBuild {
  readonly dist: string;
  readonly files: string[];
  readonly sourceHash: string;
}

/** Build into `dist` (default: packages/api/playground/dist), replacing what was there. */
export async function buildPlayground(dist = PLAYGROUND_DIST): Promise<PlaygroundBuild> {
  const sourceHash = await playgroundSourceHash();
  const staging = `${dist}.tmp-${process.pid}-${Date.now()}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, "assets"), { recursive: true });
  const out = await build({
    input: resolve(PLAYGROUND_ROOT, "src/main.ts"),
    platform: "browser",
    logLevel: "warn",
    write: false,
    output: { format: "esm", minify: true, sourcemap: false },
  });
  const chunk = out.output.find((o) => o.type === "chunk" && o.isEntry);
  if (chunk?.type !== "chunk") throw new Error("rolldown produced no entry chunk");
  const script = `main-${short(chunk.code)}.js`;
  const css = await readFile(resolve(PLAYGROUND_ROOT, "style.css"));
  const style = `style-${short(css)}.css`;
  await writeFile(join(staging, "assets", script), chunk.code);
  await writeFile(join(staging, "assets", style), css);
  const template = await readFile(resolve(PLAYGROUND_ROOT, "index.html"), "utf8");
  const html = template.replace("%SCRIPT%", `/assets/${script}`).replace("%STYLE%", `/assets/${style}`);
  await writeFile(join(staging, "index.html"), html);
  await writeFile(join(staging, "build.json"), `${JSON.stringify({ sourceHash, script, style }, null, 2)}\n`);
  const old = `${dist}.old-${process.pid}-${Date.now()}`;
  await rename(dist, old).catch(() => undefined);
  await rename(staging, dist);
  await rm(old, { recursive: true, force: true });
  return { dist, files: ["index.html", `assets/${script}`, `assets/${style}`], sourceHash };
}

/** Build unless dist already holds a build of the current sources; says whether it built. */
export async function ensurePlaygroundBuilt(dist = PLAYGROUND_DIST): Promise<{ built: boolean }> {
  const current = await playgroundSourceHash();
  try {
    const stamp = JSON.parse(await readFile(join(dist, "build.json"), "utf8")) as { sourceHash?: string };
    if (stamp.sourceHash === current) return { built: false };
  } catch {
    // No build yet.
  }
  await buildPlayground(dist);
  return { built: true };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const result = await buildPlayground();
  console.log(
    JSON.stringify({
      msg: "playground built",
      dist: result.dist,
      files: result.files,
      ms: Math.round(performance.now() - started),
    }),
  );
}
