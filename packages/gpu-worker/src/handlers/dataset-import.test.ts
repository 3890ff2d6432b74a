import { gzipSync } from "node:zlib";
import {
  DatasetReportSchema,
  datasetPrefix,
  datasetReportKey,
  inputKey,
  JobStatusSchema,
  jobStatusKey,
} from "@alignsam/core/light";
import { decodeBinaryMaskPng, encodeRle } from "@alignsam/core/mask";
import { type Zippable, zipSync } from "fflate";
import sharp from "sharp";
import { pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HandlerContext, jsonLogger } from "../context.ts";
import { dispatch } from "../dispatch.ts";
import type { Engine } from "../engine.ts";
import { startTestEmulator, type TestEmulator } from "../testing/emulator.ts";

const TENANT = "acme";
const first = { receiveCount: 1, lastAttempt: false };
const LIMITS = {
  maxEntries: 200,
  maxTotalBytes: 8 * 1024 * 1024,
  maxFileBytes: 1024 * 1024,
  maxPixels: 1_000_000,
};

async function png(
  width: number,
  height: number,
  fill: (x: number, y: number) => number[],
): Promise<Uint8Array> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 3);
  return new Uint8Array(
    await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}
const photo = (w = 16, h = 12) => png(w, h, (x, y) => [x * 10, y * 15, 90]);
const mask = (w = 16, h = 12, on = true) => png(w, h, (x) => (on && x < w / 2 ? [255, 255, 255] : [0, 0, 0]));
/** Unix mode in the high 16 bits of a zip entry's external attributes. */
const unixAttrs = (mode: number) => ({ os: 3, attrs: (mode << 16) >>> 0 });

async function goodPairs(n: number, folder = ""): Promise<Zippable> {
  const files: Zippable = {};
  for (let i = 0; i < n; i++) {
    files[`${folder}images/p${i}.png`] = await photo();
    files[`${folder}masks/p${i}.png`] = await mask();
  }
  return files;
}

async function tarOf(
  entries: { name: string; type?: "file" | "symlink" | "link"; body?: Uint8Array; linkname?: string }[],
) {
  const p = pack();
  for (const e of entries) {
    if (e.type && e.type !== "file")
      p.entry({ name: e.name, type: e.type, linkname: e.linkname ?? "/etc/passwd" });
    else p.entry({ name: e.name }, Buffer.from(e.body ?? new Uint8Array()));
  }
  p.finalize();
  const chunks: Uint8Array[] = [];
  for await (const c of p as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

describe("dataset-import job", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  let n = 0;

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = {
      storage: emu.storage,
      engine: {} as Engine,
      tasks: {} as HandlerContext["tasks"],
      log: jsonLogger({}, () => {}),
      enqueue: async () => {},
      datasetImportLimits: LIMITS,
      now: () => new Date(),
    };
  });
  afterAll(() => emu?.close());

  /** Run one import; return its status, report and every key it wrote, checked to lie in the dataset's prefix. */
  async function importArchive(archive: Uint8Array, extra: Record<string, unknown> = {}) {
    const id = `ds${++n}`;
    await emu.storage.putBytes(inputKey(TENANT, `up-${id}`), archive, "application/octet-stream");
    const before = new Set(await emu.storage.list(""));
    const body = {
      v: 1,
      type: "dataset-import",
      jobId: id,
      tenant: TENANT,
      datasetId: id,
      uploadId: `up-${id}`,
      ...extra,
    };
    const result = await dispatch(ctx, JSON.stringify(body), first);
    expect(result.ack).toBe(true);
    const written = (await emu.storage.list("")).filter((k) => !before.has(k));
    const outside = written.filter(
      (k) => !k.startsWith(datasetPrefix(TENANT, id)) && k !== jobStatusKey(TENANT, id),
    );
    expect(outside).toEqual([]);
    const status = await emu.storage.getJson(jobStatusKey(TENANT, id), JobStatusSchema);
    const report = await emu.storage.getJson(datasetReportKey(TENANT, id), DatasetReportSchema);
    const stored = written
      .filter((k) => k.startsWith(datasetPrefix(TENANT, id)))
      .map((k) => k.slice(datasetPrefix(TENANT, id).length));
    return { id, status: status!, report, stored: stored.sort() };
  }

  it("imports a zip of images/ and masks/ inside one top folder, warning about an empty mask", async () => {
    const files = await goodPairs(3, "mine/");
    files["mine/images/blank.png"] = await photo();
    files["mine/masks/blank.png"] = await mask(16, 12, false);
    files["mine/images/x.jpg"] = new Uint8Array(
      await sharp(await photo())
        .jpeg()
        .toBuffer(),
    );
    files["mine/masks/x.png"] = await mask();
    const { status, report, stored } = await importArchive(zipSync(files));
    expect(status.state).toBe("succeeded");
    expect(report?.totals).toMatchObject({ pairs: 5, refused: 0, warnings: 1, emptyMasks: 1 });
    expect(report?.files).toEqual([
      expect.objectContaining({ path: "mine/masks/blank.png", code: "MASK_EMPTY", kept: true }),
    ]);
    expect(stored).toContain("images/x.jpg");
    expect(stored).toContain("masks/p0.png");
    expect(stored).toContain("report.json");
    expect(status.summary).toMatchObject({ pairs: 5 });
  });

  it("refuses zip-slip paths per file and writes nothing outside the dataset", async () => {
    const files = await goodPairs(2);
    const bad = await photo();
    Object.assign(files, {
      "../../escape.png": bad,
      "/etc/abs.png": bad,
      "images\\win.png": bad,
      "images/../../../up.png": bad,
      "C:/drive.png": bad,
    });
    const { status, report, stored } = await importArchive(zipSync(files));
    expect(status.state).toBe("succeeded");
    const unsafe = report!.files.filter((f) => f.code === "PATH_UNSAFE").map((f) => f.path);
    expect(unsafe.sort()).toEqual(
      [
        "../../escape.png",
        "/etc/abs.png",
        "C:/drive.png",
        "images/../../../up.png",
        "images\\win.png",
      ].sort(),
    );
    expect(stored.filter((k) => k.startsWith("images/"))).toEqual(["images/p0.png", "images/p1.png"]);
  });

  it("refuses symlinks in a zip and symlinks and hard links in a tar", async () => {
    const files = await goodPairs(1);
    files["images/link.png"] = [new TextEncoder().encode("/etc/passwd"), unixAttrs(0o120777)];
    files["masks/link.png"] = await mask();
    const zipped = await importArchive(zipSync(files));
    expect(zipped.report!.files).toContainEqual(
      expect.objectContaining({
        path: "images/link.png",
        code: "NOT_REGULAR_FILE",
        message: expect.stringContaining("symbolic link"),
      }),
    );
    expect(zipped.report!.files).toContainEqual(
      expect.objectContaining({ path: "masks/link.png", code: "UNPAIRED" }),
    );
    expect(zipped.report!.totals.pairs).toBe(1);

    const tar = await tarOf([
      { name: "images/a.png", body: await photo() },
      { name: "masks/a.png", body: await mask() },
      { name: "images/s.png", type: "symlink" },
      { name: "masks/h.png", type: "link", linkname: "masks/a.png" },
    ]);
    const tarred = await importArchive(gzipSync(tar));
    expect(tarred.status.state).toBe("succeeded");
    expect(tarred.report!.format).toBe("tar.gz");
    const refused = tarred.report!.files.filter((f) => f.code === "NOT_REGULAR_FILE").map((f) => f.path);
    expect(refused.sort()).toEqual(["images/s.png", "masks/h.png"]);
    expect(tarred.stored).toEqual(["images/a.png", "masks/a.png", "report.json"]);
  });

  it("does not unpack nested archives, by name or by bytes", async () => {
    const inner = zipSync(await goodPairs(1));
    const files = await goodPairs(1);
    files["images/inner.zip"] = inner;
    files["images/disguised.png"] = inner;
    files["masks/disguised.png"] = await mask();
    const { report } = await importArchive(zipSync(files));
    const nested = report!.files.filter((f) => f.code === "NESTED_ARCHIVE").map((f) => f.path);
    expect(nested.sort()).toEqual(["images/disguised.png", "images/inner.zip"]);
    expect(report!.ids).toEqual(["p0"]);
  });

  it("refuses an archive of 10 000 tiny files whole, writing nothing", async () => {
    const files: Zippable = {};
    for (let i = 0; i < 10_000; i++) files[`images/t${i}.png`] = new Uint8Array([i % 256]);
    const { status, report, stored } = await importArchive(zipSync(files, { level: 0 }));
    expect(status.state).toBe("failed");
    expect(status.error?.code).toBe("ARCHIVE_TOO_LARGE");
    expect(status.error?.message).toMatch(/10000 entries, more than the 200 accepted; nothing was imported/);
    expect(report).toBeUndefined();
    expect(stored).toEqual([]);
  });

  it("stops inflating a zip bomb at the limit, whatever size the entry declares", async () => {
    const zeros = new Uint8Array(6 * 1024 * 1024);
    const files = await goodPairs(1);
    files["images/bomb.png"] = zeros;
    const bomb = zipSync(files, { level: 9 });
    // Make the central directory lie: the bomb declares 100 bytes.
    const view = new DataView(bomb.buffer);
    let patched = 0;
    for (let p = bomb.length - 22; p >= 0; p--) {
      if (view.getUint32(p, true) !== 0x02014b50) continue;
      const nameLength = view.getUint16(p + 28, true);
      const name = new TextDecoder().decode(bomb.subarray(p + 46, p + 46 + nameLength));
      if (name === "images/bomb.png") {
        view.setUint32(p + 24, 100, true);
        patched++;
      }
    }
    expect(patched).toBe(1);
    const perFile = await importArchive(bomb);
    expect(perFile.report!.files).toContainEqual(
      expect.objectContaining({ path: "images/bomb.png", code: "FILE_TOO_LARGE" }),
    );
    expect(perFile.report!.totals.uncompressedBytes).toBeLessThan(3 * 1024 * 1024);

    // Past the total: refused whole.
    const many: Zippable = await goodPairs(1);
    for (let i = 0; i < 12; i++) many[`images/z${i}.png`] = new Uint8Array(1024 * 1024 - 10);
    const whole = await importArchive(zipSync(many, { level: 9 }));
    expect(whole.status.error?.code).toBe("ARCHIVE_TOO_LARGE");
    expect(whole.stored).toEqual([]);
  });

  it("reports a mask of the wrong size and a non-image per file, keeping the good pairs", async () => {
    const files = await goodPairs(2);
    files["images/wide.png"] = await photo(20, 12);
    files["masks/wide.png"] = await mask(16, 12);
    files["images/notes.png"] = new TextEncoder().encode("this is not a picture");
    files["masks/notes.png"] = await mask();
    files["images/gif.png"] = new TextEncoder().encode("GIF89a\u0001\u0000\u0001\u0000");
    files["masks/gif.png"] = await mask();
    files["README.txt"] = new TextEncoder().encode("hello");
    const { status, report, stored } = await importArchive(zipSync(files));
    expect(status.state).toBe("succeeded");
    expect(report!.files).toEqual(
      expect.arrayContaining(
        [
          { path: "masks/wide.png", code: "SIZE_MISMATCH", message: "16x12 but its image is 20x12" },
          { path: "images/notes.png", code: "IMAGE_UNREADABLE", message: "not an image" },
          { path: "images/gif.png", code: "IMAGE_UNREADABLE", message: "GIF" },
          { path: "README.txt", code: "UNEXPECTED_FILE", message: "" },
        ].map(({ message, ...entry }) =>
          expect.objectContaining({ ...entry, message: expect.stringContaining(message) }),
        ),
      ),
    );
    expect(report!.totals).toMatchObject({ pairs: 2, sizeMismatches: 1, unreadable: 2 });
    expect(stored).toEqual(["images/p0.png", "images/p1.png", "masks/p0.png", "masks/p1.png", "report.json"]);
  });

  it("refuses something that is not an archive, and writes no report", async () => {
    const { status, stored } = await importArchive(await photo());
    expect(status.error?.code).toBe("ARCHIVE_INVALID");
    expect(stored).toEqual([]);
  });

  it("rasterises a COCO instances file for the chosen category (polygons and RLE)", async () => {
    const rle = encodeRle({
      width: 16,
      height: 12,
      data: new Uint8Array(16 * 12).map((_, i) => (i % 16 >= 12 ? 1 : 0)),
    });
    const coco = {
      images: [
        { id: 1, file_name: "train/a.png", width: 16, height: 12 },
        { id: 2, file_name: "b.png", width: 16, height: 12 },
        { id: 3, file_name: "missing.png", width: 16, height: 12 },
        { id: 4, file_name: "c.png", width: 30, height: 12 },
      ],
      categories: [
        { id: 7, name: "cat" },
        { id: 8, name: "dog" },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 7, segmentation: [[0, 0, 4, 0, 4, 4, 0, 4]] },
        { id: 2, image_id: 1, category_id: 8, segmentation: [[8, 8, 16, 8, 16, 12, 8, 12]] },
        { id: 3, image_id: 2, category_id: 7, segmentation: rle },
        { id: 4, image_id: 2, category_id: 7, segmentation: [[1, 2]] },
      ],
    };
    const files: Zippable = {
      "data/instances_train.json": new TextEncoder().encode(JSON.stringify(coco)),
      "data/images/a.png": await photo(),
      "data/images/b.png": await photo(),
      "data/images/c.png": await photo(),
      "data/images/extra.png": await photo(),
    };
    const ambiguous = await importArchive(zipSync(files));
    expect(ambiguous.status.error).toMatchObject({
      code: "ARCHIVE_INVALID",
      message: expect.stringContaining("cat, dog"),
    });
    expect(ambiguous.stored).toEqual([]);

    const { status, report, stored } = await importArchive(zipSync(files), { category: "cat" });
    expect(status.state).toBe("succeeded");
    expect(report).toMatchObject({ layout: "coco", category: { id: 7, name: "cat" }, ids: ["a", "b"] });
    expect(report!.files).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "missing.png", code: "UNPAIRED" }),
        expect.objectContaining({ path: "data/images/c.png", code: "SIZE_MISMATCH" }),
        expect.objectContaining({ path: "data/images/extra.png", code: "UNEXPECTED_FILE" }),
        expect.objectContaining({ path: "data/images/b.png", code: "ANNOTATION_INVALID", kept: true }),
      ]),
    );
    expect(stored).toEqual(["images/a.png", "images/b.png", "masks/a.png", "masks/b.png", "report.json"]);
    const root = datasetPrefix(TENANT, report!.datasetId);
    const a = await decodeBinaryMaskPng((await emu.storage.getBytes(`${root}masks/a.png`))!);
    // Only the cat's 4x4 square, not the dog's box.
    expect(a.data.reduce((s, v) => s + v, 0)).toBe(16);
    expect(a.data[0]).toBe(1);
    expect(a.data[11 * 16 + 15]).toBe(0);
    const b = await decodeBinaryMaskPng((await emu.storage.getBytes(`${root}masks/b.png`))!);
    expect(b.data.reduce((s, v) => s + v, 0)).toBe(4 * 12);
  });
});
