/**
 * Finds a task's image/mask pairs on disk. Layout: `<root>/<task>/images/<id>.(jpg|jpeg|png)` and
 * `<root>/<task>/masks/<id>.png`, optionally `<root>/<task>/classes.json` (id -> class names).
 * Listing never decodes pixels, so it is cheap; anything odd (an image without a mask, a mask without
 * an image, two images for one id, a malformed classes.json) goes into `problems` instead of failing,
 * so one stray file does not block an evaluation.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import { DATASETS_ENV, resolveDatasetsRoot } from "./root.ts";

/** Image extensions accepted in `images/` (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = [".jpg", ".jpeg", ".png"];
/** Mask extension in `masks/`. */
export const MASK_EXTENSION = ".png";

export interface DatasetPair {
  readonly id: string;
  readonly imagePath: string;
  readonly maskPath: string;
  /** Class names from classes.json (coco_mval: the class of the one annotated instance). */
  readonly classes?: string[];
}

export interface Dataset {
  readonly task: string;
  /** The datasets root the task was found under. */
  readonly root: string;
  /** The task's own folder, `<root>/<task>`. */
  readonly folder: string;
  /** Sorted by id (code-unit order, locale-independent, so splits are reproducible everywhere). */
  readonly pairs: DatasetPair[];
  /** Human-readable notes on files that were skipped or could not be paired. */
  readonly problems: string[];
}

export interface DatasetLocation {
  /** Datasets root; default {@link resolveDatasetsRoot}(). */
  root?: string;
}

/** classes.json: id -> class names. */
export const ClassesFileSchema = z.record(z.string(), z.array(z.string().min(1)));

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function requireRoot(root: string): Promise<void> {
  if (!(await isDirectory(root))) {
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `no datasets folder at ${root}; put the datasets there or set ${DATASETS_ENV} to the folder that holds one sub-folder per task`,
      { root, env: DATASETS_ENV },
    );
  }
}

/**
 * The task folders under `root`: sub-folders that hold both `images/` and `masks/`, sorted.
 * @example await listDatasetTasks("/work/shared/datasets") // ["blur", "coco_mval", ...]
 */
export async function listDatasetTasks(root: string = resolveDatasetsRoot()): Promise<string[]> {
  const absolute = resolve(root);
  await requireRoot(absolute);
  const entries = await readdir(absolute, { withFileTypes: true });
  const tasks: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const folder = join(absolute, entry.name);
    if ((await isDirectory(join(folder, "images"))) && (await isDirectory(join(folder, "masks")))) {
      tasks.push(entry.name);
    }
  }
  return tasks.sort(byCodeUnit);
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort(byCodeUnit);
}

async function readClasses(
  folder: string,
  problems: string[],
): Promise<Record<string, string[]> | undefined> {
  const path = join(folder, "classes.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push(`classes.json is not valid JSON (${(e as Error).message}); classes ignored`);
    return undefined;
  }
  const parsed = ClassesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    problems.push(
      `classes.json must map each id to a list of class names (${issue?.path.join(".") || "root"}: ${issue?.message}); classes ignored`,
    );
    return undefined;
  }
  return parsed.data;
}

/**
 * Pairs a task's images with its masks by id.
 * @throws AlignSamError DATASET_NOT_FOUND when the root, the task folder or its images/ or masks/
 *   sub-folder is missing (the message says where it looked and lists the tasks that exist).
 * @example const { pairs, problems } = await loadDataset("blur");
 */
export async function loadDataset(task: string, location: DatasetLocation = {}): Promise<Dataset> {
  const root = resolve(location.root ?? resolveDatasetsRoot());
  await requireRoot(root);
  const safeName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(task) && !task.includes("..");
  const folder = join(root, task);
  if (!safeName || !(await isDirectory(folder))) {
    const available = await listDatasetTasks(root);
    throw new AlignSamError(
      "DATASET_NOT_FOUND",
      `no dataset "${task}" under ${root} (set ${DATASETS_ENV} to use another root); expected one of: ${available.join(", ") || "(none)"}`,
      { task, root, env: DATASETS_ENV, available },
    );
  }
  for (const sub of ["images", "masks"]) {
    if (!(await isDirectory(join(folder, sub)))) {
      throw new AlignSamError(
        "DATASET_NOT_FOUND",
        `dataset "${task}" has no ${sub}/ folder at ${join(folder, sub)}; expected ${task}/images/<id>.(jpg|jpeg|png) and ${task}/masks/<id>.png`,
        { task, root, missing: sub },
      );
    }
  }
  const problems: string[] = [];
  const images = new Map<string, string>();
  for (const name of await listFiles(join(folder, "images"))) {
    const ext = extname(name);
    if (!IMAGE_EXTENSIONS.includes(ext.toLowerCase())) {
      problems.push(`images/${name}: not a ${IMAGE_EXTENSIONS.join("/")} file, skipped`);
      continue;
    }
    const id = name.slice(0, -ext.length);
    const existing = images.get(id);
    if (existing !== undefined) {
      problems.push(
        `images/${name}: a second image for id "${id}" (already have images/${existing}), skipped`,
      );
      continue;
    }
    images.set(id, name);
  }
  const masks = new Map<string, string>();
  for (const name of await listFiles(join(folder, "masks"))) {
    const ext = extname(name);
    if (ext.toLowerCase() !== MASK_EXTENSION) {
      problems.push(`masks/${name}: not a ${MASK_EXTENSION} file, skipped`);
      continue;
    }
    masks.set(name.slice(0, -ext.length), name);
  }
  const classes = await readClasses(folder, problems);
  const pairs: DatasetPair[] = [];
  for (const [id, imageName] of [...images].sort(([a], [b]) => byCodeUnit(a, b))) {
    const maskName = masks.get(id);
    if (maskName === undefined) {
      problems.push(`images/${imageName}: no mask masks/${id}${MASK_EXTENSION}, skipped`);
      continue;
    }
    const pairClasses = classes?.[id];
    pairs.push({
      id,
      imagePath: join(folder, "images", imageName),
      maskPath: join(folder, "masks", maskName),
      ...(pairClasses ? { classes: [...pairClasses] } : {}),
    });
  }
  for (const [id, maskName] of masks) {
    if (!images.has(id)) problems.push(`masks/${maskName}: no image images/${id}.(jpg|jpeg|png), skipped`);
  }
  if (classes) {
    const unlabelled = pairs.filter((p) => p.classes === undefined).length;
    if (unlabelled > 0) problems.push(`classes.json has no entry for ${unlabelled} of ${pairs.length} pairs`);
    const orphans = Object.keys(classes).filter((id) => !images.has(id) || !masks.has(id)).length;
    if (orphans > 0) problems.push(`classes.json lists ${orphans} ids that have no image/mask pair`);
  }
  return { task, root, folder, pairs, problems };
}
