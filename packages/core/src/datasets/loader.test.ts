import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlignSamError } from "../errors.ts";
import { describeDatasets, formatDatasetTable } from "./describe.ts";
import { listDatasetTasks, loadDataset } from "./loader.ts";
import { loadPair } from "./pair.ts";

/** A w x h RGB image whose red channel encodes x, so orientation mistakes would show. */
async function writeImage(
  path: string,
  width: number,
  height: number,
  format: "jpeg" | "png",
): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i % width) * 40;
    data[i * 3 + 1] = 128;
  }
  const img = sharp(data, { raw: { width, height, channels: 3 } });
  await (format === "jpeg" ? img.jpeg() : img.png()).toFile(path);
}

/** A grey 0/255 mask: foreground where the predicate holds. */
async function writeMask(path: string, width: number, height: number, fg: (x: number, y: number) => boolean) {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fg(x, y) ? 255 : 0;
  await sharp(data, { raw: { width, height, channels: 1 } })
    .png()
    .toFile(path);
}

async function errorOf(promise: Promise<unknown>): Promise<AlignSamError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AlignSamError) return e;
    throw e;
  }
  throw new Error("expected an AlignSamError, got success");
}

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "alignsam-datasets-"));
  const t = join(root, "toy");
  await mkdir(join(t, "images"), { recursive: true });
  await mkdir(join(t, "masks"), { recursive: true });
  await writeImage(join(t, "images", "b.jpg"), 4, 3, "jpeg");
  await writeMask(join(t, "masks", "b.png"), 4, 3, (x) => x < 2);
  await writeImage(join(t, "images", "a.png"), 4, 3, "png");
  await writeMask(join(t, "masks", "a.png"), 4, 3, (_x, y) => y === 0);
  await writeImage(join(t, "images", "c.JPEG"), 5, 2, "jpeg"); // upper-case extension, paired
  await writeMask(join(t, "masks", "c.png"), 5, 2, () => true);
  await writeImage(join(t, "images", "lonely.jpg"), 4, 3, "jpeg"); // no mask
  await writeMask(join(t, "masks", "orphan.png"), 4, 3, () => false); // no image
  await writeImage(join(t, "images", "b.png"), 4, 3, "png"); // second image for id "b" (b.jpg sorts first)
  await writeFile(join(t, "images", "notes.txt"), "not an image");
  await writeImage(join(t, "images", "wide.png"), 6, 3, "png"); // size mismatch with its mask
  await writeMask(join(t, "masks", "wide.png"), 3, 3, (x) => x === 1);
  await writeImage(join(t, "images", "broken.png"), 4, 3, "png");
  await writeFile(join(t, "masks", "broken.png"), Buffer.from("definitely not a png"));
  await writeFile(join(t, "classes.json"), JSON.stringify({ a: ["cat"], b: ["dog", "cat"], ghost: ["cow"] }));
  // a second task with a malformed classes.json, and a folder that is not a task
  await mkdir(join(root, "other", "images"), { recursive: true });
  await mkdir(join(root, "other", "masks"), { recursive: true });
  await writeImage(join(root, "other", "images", "x.jpg"), 2, 2, "jpeg");
  await writeMask(join(root, "other", "masks", "x.png"), 2, 2, () => true);
  await writeFile(join(root, "other", "classes.json"), JSON.stringify({ x: "cat" }));
  await mkdir(join(root, "not-a-task"), { recursive: true });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("dataset listing", () => {
  it("lists only folders holding images/ and masks/, sorted", async () => {
    expect(await listDatasetTasks(root)).toEqual(["other", "toy"]);
  });

  it("pairs images with masks by id, sorted, and reads classes.json", async () => {
    const ds = await loadDataset("toy", { root });
    expect(ds.pairs.map((p) => p.id)).toEqual(["a", "b", "broken", "c", "wide"]);
    expect(ds.pairs[0].imagePath).toBe(join(root, "toy", "images", "a.png"));
    expect(ds.pairs[0].classes).toEqual(["cat"]);
    expect(ds.pairs[1].classes).toEqual(["dog", "cat"]);
    expect(ds.pairs[2].classes).toBeUndefined();
    expect(ds.task).toBe("toy");
  });

  it("lists unpaired, duplicate and foreign files as problems", async () => {
    const { problems } = await loadDataset("toy", { root });
    const text = problems.join("\n");
    expect(text).toContain("images/lonely.jpg: no mask masks/lonely.png");
    expect(text).toContain("masks/orphan.png: no image");
    expect(text).toContain('images/b.png: a second image for id "b" (already have images/b.jpg)');
    expect(text).toContain("images/notes.txt: not a");
    expect(text).toContain("classes.json has no entry for 3 of 5 pairs");
    expect(text).toContain("classes.json lists 1 ids that have no image/mask pair");
  });

  it("reports a malformed classes.json as a problem and loads the pairs anyway", async () => {
    const ds = await loadDataset("other", { root });
    expect(ds.pairs.map((p) => p.id)).toEqual(["x"]);
    expect(ds.pairs[0].classes).toBeUndefined();
    expect(ds.problems.join("\n")).toMatch(/classes\.json must map each id to a list of class names/);
  });

  it("refuses an unknown task with DATASET_NOT_FOUND listing the tasks that exist", async () => {
    const e = await errorOf(loadDataset("nope", { root }));
    expect(e.code).toBe("DATASET_NOT_FOUND");
    expect(e.message).toContain("expected one of: other, toy");
    expect(e.message).toContain("ALIGNSAM_DATASETS");
    expect((await errorOf(loadDataset("../toy", { root }))).code).toBe("DATASET_NOT_FOUND");
  });

  it("refuses a missing root with DATASET_NOT_FOUND saying where it looked and what to set", async () => {
    const missing = join(root, "does-not-exist");
    const e = await errorOf(loadDataset("toy", { root: missing }));
    expect(e.code).toBe("DATASET_NOT_FOUND");
    expect(e.message).toContain(missing);
    expect(e.message).toContain("ALIGNSAM_DATASETS");
    expect((await errorOf(listDatasetTasks(missing))).code).toBe("DATASET_NOT_FOUND");
  });
});

describe("loading a pair", () => {
  it("decodes the image to RGB and the 0/255 mask to 0/1 with matching sizes", async () => {
    const ds = await loadDataset("toy", { root });
    const { image, mask } = await loadPair(ds.pairs[1]); // b: 4x3 JPEG, foreground x < 2
    expect([image.width, image.height, image.data.length]).toEqual([4, 3, 36]);
    expect([mask.width, mask.height]).toEqual([4, 3]);
    expect([...mask.data]).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
    const a = await loadPair(ds.pairs[0]); // a: PNG, exact pixels survive
    expect(a.image.data[3]).toBe(40); // red of pixel (1, 0) = 1 * 40
    expect([...a.mask.data]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("refuses an image/mask size mismatch with DATASET_MISMATCH naming the id and both sizes", async () => {
    const ds = await loadDataset("toy", { root });
    const wide = ds.pairs.find((p) => p.id === "wide")!;
    const e = await errorOf(loadPair(wide));
    expect(e.code).toBe("DATASET_MISMATCH");
    expect(e.message).toContain('"wide"');
    expect(e.message).toContain("6x3");
    expect(e.message).toContain("3x3");
  });

  it("resizes a mismatched mask with nearest-neighbour when asked", async () => {
    const ds = await loadDataset("toy", { root });
    const wide = ds.pairs.find((p) => p.id === "wide")!;
    const { mask } = await loadPair(wide, { resizeMask: true });
    expect([mask.width, mask.height]).toEqual([6, 3]);
    // 3 -> 6 columns nearest: source column 1 covers output columns 2 and 3
    expect([...mask.data.slice(0, 6)]).toEqual([0, 0, 1, 1, 0, 0]);
    expect(new Set(mask.data)).toEqual(new Set([0, 1]));
  });

  it("refuses an undecodable mask with MASK_DECODE naming the pair", async () => {
    const ds = await loadDataset("toy", { root });
    const e = await errorOf(loadPair(ds.pairs.find((p) => p.id === "broken")!));
    expect(e.code).toBe("MASK_DECODE");
    expect(e.message).toContain('"broken"');
  });
});

describe("describing datasets", () => {
  it("counts pairs, classes and problems per task and prints them as a table", async () => {
    const d = await describeDatasets(root);
    expect(d.map((x) => [x.task, x.pairs, x.classes])).toEqual([
      ["other", 1, 0],
      ["toy", 5, 2],
    ]);
    const table = formatDatasetTable(d, root);
    expect(table).toMatch(/toy\s+5\s+2\s+6/);
    expect(table).toContain("toy: images/lonely.jpg: no mask");
  });
});
