/**
 * The model registry's front door: a manifest URI (a local folder, a manifest.json path, file://,
 * or s3://bucket/prefix) becomes a validated manifest plus a local folder holding verified files.
 */
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";
import { AlignSamError } from "../../errors.ts";
import { verifyFileChecksum } from "./checksum.ts";
import { MODEL_KINDS, type ModelKind, type ModelManifest, ModelManifestSchema } from "./schema.ts";

export const MANIFEST_FILE = "manifest.json";

export interface LoadedManifest<M extends ModelManifest = ModelManifest> {
  readonly manifest: M;
  /** Local folder the manifest's relative file paths resolve against. */
  readonly dir: string;
  /** Where it was loaded from, as given. */
  readonly uri: string;
}

export interface LoadManifestOptions {
  /**
   * Where s3:// packages are downloaded.
   * @default process.env.ALIGNSAM_MODEL_CACHE ?? `${os.tmpdir()}/alignsam-models`
   */
  cacheDir?: string;
  /** Check every listed file's SHA-256 (refusing a mismatch with MODEL_CHECKSUM). @default true */
  verify?: boolean;
  /** S3 client for s3:// URIs (tests, custom endpoints). @default createS3Client() (the environment's configuration) */
  s3Client?: S3Client;
}

/** The absolute local path of one of the manifest's files. */
export function modelFilePath(loaded: LoadedManifest, file: string): string {
  return join(loaded.dir, ...file.split("/"));
}

/** Validates manifest JSON, turning zod issues into one MODEL_MANIFEST error that says where. */
export function parseManifest(json: unknown, source: string): ModelManifest {
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (typeof kind !== "string" || !(MODEL_KINDS as readonly string[]).includes(kind)) {
    throw new AlignSamError(
      "MODEL_MANIFEST",
      `manifest ${source}: unknown kind ${JSON.stringify(kind)}; expected one of: ${MODEL_KINDS.join(", ")}`,
      { valid: [...MODEL_KINDS] },
    );
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new AlignSamError("MODEL_MANIFEST", `manifest ${source} is invalid: ${issues.join("; ")}`, {
      issues,
    });
  }
  return parsed.data;
}

/** Refuses a manifest of the wrong kind (a CLIP package handed to the SAM adapter, say). */
export function expectKind<K extends ModelKind>(
  loaded: LoadedManifest,
  kinds: readonly K[],
): LoadedManifest<Extract<ModelManifest, { kind: K }>> {
  if (!(kinds as readonly string[]).includes(loaded.manifest.kind)) {
    throw new AlignSamError(
      "MODEL_MANIFEST",
      `manifest ${loaded.uri} is a "${loaded.manifest.kind}" model; expected one of: ${kinds.join(", ")}`,
      { valid: [...kinds] },
    );
  }
  return loaded as LoadedManifest<Extract<ModelManifest, { kind: K }>>;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new AlignSamError("MODEL_MANIFEST", `no model manifest at ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AlignSamError("MODEL_MANIFEST", `manifest ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function localManifestPath(uri: string): Promise<string> {
  const path = resolve(uri.startsWith("file:") ? fileURLToPath(uri) : uri);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new AlignSamError("MODEL_MANIFEST", `no model found at ${uri}`);
  return info.isDirectory() ? join(path, MANIFEST_FILE) : path;
}

async function loadFromS3(uri: string, options: LoadManifestOptions): Promise<LoadedManifest> {
  const s3 = await import("./s3-fetch.ts");
  const { location, store } = await s3.openModelPackage(uri, options.s3Client);
  const cacheDir = options.cacheDir ?? process.env.ALIGNSAM_MODEL_CACHE ?? join(tmpdir(), "alignsam-models");
  const dir = s3.cacheFolder(cacheDir, location);
  const manifestPath = join(dir, MANIFEST_FILE);
  await s3.downloadPackageFile(store, MANIFEST_FILE, manifestPath);
  const manifest = parseManifest(await readJson(manifestPath), uri);
  for (const file of manifest.files) {
    const dest = join(dir, ...file.path.split("/"));
    if (!(await s3.cachedCopyIsValid(dest, file.sha256)))
      await s3.downloadPackageFile(store, file.path, dest);
  }
  return { manifest, dir, uri };
}

/**
 * Loads and validates a model manifest and checks every file it lists (present, right SHA-256).
 * @example
 * const sam = await loadManifest("s3://models/sam-vit-b");            // downloaded once, cached
 * const clip = await loadManifest("./models/clip-surgery-vit-b16");   // a local folder
 */
export async function loadManifest(uri: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
  const loaded = uri.startsWith("s3://")
    ? await loadFromS3(uri, options)
    : await (async () => {
        const path = await localManifestPath(uri);
        return { manifest: parseManifest(await readJson(path), uri), dir: dirname(path), uri };
      })();
  if (options.verify ?? true) await verifyManifestFiles(loaded);
  return loaded;
}

/** Checks every listed file of a loaded manifest: present, right SHA-256 (MODEL_CHECKSUM). */
export async function verifyManifestFiles(loaded: LoadedManifest): Promise<void> {
  for (const file of loaded.manifest.files) {
    await verifyFileChecksum(
      modelFilePath(loaded, file.path),
      file.sha256,
      `${basename(loaded.dir)}/${file.path}`,
    );
  }
}

/**
 * A manifest held in code (a model shipped inside an npm package, which has no manifest.json of
 * ours) over the folder its files are in: validated and checksummed exactly like a loaded one.
 * @example
 * const loaded = await manifestAt(BUILTIN_CENTERNET_MANIFEST, humanModelsDir, "builtin:centernet");
 */
export async function manifestAt(
  json: unknown,
  dir: string,
  uri: string,
  options: Pick<LoadManifestOptions, "verify"> = {},
): Promise<LoadedManifest> {
  const loaded = { manifest: parseManifest(json, uri), dir, uri };
  if (options.verify ?? true) await verifyManifestFiles(loaded);
  return loaded;
}
