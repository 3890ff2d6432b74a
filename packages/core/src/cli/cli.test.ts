import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatMetric } from "../evaluation/report.ts";
import { CocoInstancesSchema } from "../export/coco.ts";
import { rasterizePolygons } from "../export/polygons.ts";
import { decodeBinaryMaskPng } from "../mask/png.ts";
import { decodeRle } from "../mask/rle.ts";
import { PolicyCardSchema } from "../policy/card.ts";
import { writeSamFixture } from "../testing/sam-fixtures.ts";
import { writeMiniDataset } from "./mini-dataset.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI under this Node (24: vitest's execPath), as a user would. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, ALIGNSAM_TF_BACKEND: "cpu" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

let tmp: string;
let data: string;
let policy: string;
let images: string[];
let trained: Run;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "alignsam-cli-"));
  data = join(tmp, "data");
  policy = join(tmp, "policy");
  images = await writeMiniDataset(data, "saliency", 10);
  trained = await cli(
    "--json",
    "train",
    "--task",
    "saliency",
    "--data",
    data,
    "--samples",
    "4",
    "--epochs",
    "2",
    "--ppo-epochs",
    "2",
    "--steps",
    "3",
    "--srm-members",
    "2",
    "--srm-augment",
    "1",
    "--srm-max-epochs",
    "3",
    "--eval",
    "3",
    "--out",
    policy,
  );
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("alignsam train", () => {
  it("trains on the generated folder, scores the held-out pairs and saves a policy whose card records them", async () => {
    expect(trained.stderr).toContain("train: 8/8");
    expect(trained.code).toBe(0);
    const answer = JSON.parse(trained.stdout);
    expect(answer.task).toBe("saliency");
    expect(answer.training.episodes).toBe(8);
    for (const f of ["card.json", "weights.json", "weights.bin"])
      expect(existsSync(join(policy, f))).toBe(true);
    const card = PolicyCardSchema.parse(JSON.parse(await readFile(join(policy, "card.json"), "utf8")));
    expect(card.trainingSet.count).toBe(4);
    expect(card.hyperparameters).toMatchObject({ steps: 3, epochs: 2, ppoEpochs: 2 });
    expect(card.metrics?.count).toBe(3);
    expect(Object.keys(card.metrics?.values ?? {}).sort()).toEqual(["E", "MAE", "mIoU"]);
    expect(answer.metrics.values).toEqual(card.metrics?.values);
  });

  it("refuses an explicit-branch task without a prior before loading any data", async () => {
    const run = await cli("train", "--task", "shadow", "--data", join(tmp, "nowhere"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^PRIOR_UNAVAILABLE: .*--prior none/m);
  });

  it("refuses --prior centernet for a task whose text is no COCO class, before loading any data", async () => {
    const run = await cli(
      "train",
      "--task",
      "shadow",
      "--prior",
      "centernet",
      "--data",
      join(tmp, "nowhere"),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^TEXT_UNSUPPORTED: .*"shadow"/m);
  });
});

describe("alignsam segment", () => {
  it("writes mask, probability, RLE, trajectory and overlay per image, consistent with each other", async () => {
    const out = join(tmp, "segment");
    const run = await cli(
      "--json",
      "segment",
      images[0],
      images[5],
      "--task",
      "saliency",
      "--policy",
      policy,
      "--out",
      out,
    );
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as {
      image: string;
      foreground: number;
      points: number;
      initialPrompts: number;
      clicks: number;
    }[];
    expect(answer.map((a) => a.image)).toEqual([images[0], images[5]]);
    for (const [k, stem] of ["img_000", "img_005"].entries()) {
      const mask = await decodeBinaryMaskPng(new Uint8Array(await readFile(join(out, `${stem}.mask.png`))));
      expect([mask.width, mask.height]).toEqual([96, 96]);
      const rle = JSON.parse(await readFile(join(out, `${stem}.rle.json`), "utf8"));
      expect(Buffer.from(decodeRle(rle).data).equals(Buffer.from(mask.data))).toBe(true);
      const foreground = mask.data.reduce((a, b) => a + b, 0) / mask.data.length;
      expect(answer[k].foreground).toBeCloseTo(foreground, 10);
      const probability = await sharp(await readFile(join(out, `${stem}.probability.png`))).metadata();
      expect([probability.width, probability.height]).toEqual([96, 96]);
      const overlay = await sharp(await readFile(join(out, `${stem}.overlay.png`))).metadata();
      expect([overlay.width, overlay.height, overlay.channels]).toEqual([96, 96, 3]);
      const trajectory = JSON.parse(await readFile(join(out, `${stem}.trajectory.json`), "utf8"));
      expect(trajectory.steps).toBe(3);
      expect(answer[k].clicks).toBe(3);
      expect(answer[k].points).toBe(trajectory.points.length);
      expect(answer[k].initialPrompts + answer[k].clicks).toBe(answer[k].points);
      expect(trajectory.points).toHaveLength(2 + 3);
      expect(trajectory.labels).toHaveLength(2 + 3);
      expect(trajectory.timings.totalMs).toBeGreaterThan(0);
    }
  });

  it("writes only the requested outputs and prints one human line per image", async () => {
    const out = join(tmp, "segment-some");
    const run = await cli(
      "segment",
      images[1],
      "--task",
      "saliency",
      "--policy",
      policy,
      "--out",
      out,
      "--outputs",
      "rle",
    );
    expect(run.code).toBe(0);
    // The count printed is the trajectory's: P_0 (from the SRM map) plus T = 3 clicks.
    const [, points, initial] = run.stdout.match(
      /img_001\.png: foreground \d+\.\d%, (\d+) points \((\d) initial \+ 3 clicks\), \d+ ms/,
    ) ?? ["", "-1", "-1"];
    expect(Number(points)).toBe(Number(initial) + 3);
    expect(run.stdout).not.toContain("ok,"); // one image: no batch summary
    expect(existsSync(join(out, "img_001.rle.json"))).toBe(true);
    expect(existsSync(join(out, "img_001.mask.png"))).toBe(false);
  });

  it("exits 1 with IMAGE_UNSUPPORTED_FORMAT or IMAGE_DECODE on a file that is not an image", async () => {
    const text = join(tmp, "notes.png");
    await writeFile(text, "this is not an image\n");
    const run = await cli(
      "--json",
      "segment",
      text,
      "--task",
      "saliency",
      "--policy",
      policy,
      "--out",
      join(tmp, "x"),
    );
    expect(run.code).toBe(1);
    const error = JSON.parse(run.stderr.trim().split("\n").at(-1) ?? "{}").error;
    expect(["IMAGE_UNSUPPORTED_FORMAT", "IMAGE_DECODE"]).toContain(error.code);
    // Nothing was segmented: no output folder is left behind.
    expect(existsSync(join(tmp, "x"))).toBe(false);
  });

  it("segments a folder past a file it cannot decode and a missing one, naming both, then exits 1", async () => {
    const folder = join(tmp, "batch");
    await mkdir(folder);
    await copyFile(images[2], join(folder, "a.png"));
    await writeFile(join(folder, "b.png"), "this is not an image\n");
    await copyFile(images[3], join(folder, "c.jpg")); // a PNG under another extension: decoded by content
    await writeFile(join(folder, "notes.txt"), "not an image extension: skipped\n");
    const missing = join(tmp, "missing.png");
    const out = join(tmp, "segment-batch");
    const common = ["--task", "saliency", "--policy", policy, "--out", out, "--outputs", "mask"];
    const run = await cli("segment", folder, missing, ...common);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^segment: .*batch\/b\.png: IMAGE_(DECODE|UNSUPPORTED_FORMAT): /m);
    expect(run.stderr).toContain(
      `segment: ${missing}: INVALID_ARGUMENT: cannot read image ${missing}: no such file`,
    );
    expect(run.stderr).toMatch(/^IMAGE_\w+: 2 of 4 images failed: .*b\.png .*missing\.png/m);
    expect(run.stdout).toMatch(/batch\/a\.png: foreground .* points/);
    expect(run.stdout).toMatch(/batch\/c\.jpg: foreground .* points/);
    expect(run.stdout).toContain("segment: 2 ok, 2 failed");
    expect((await readdir(out)).sort()).toEqual(["a.mask.png", "c.mask.png"]);

    const json = await cli("--json", "segment", folder, ...common, "--out", join(tmp, "segment-batch-json"));
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { image: string }[]).map((r) => r.image)).toEqual([
      join(folder, "a.png"),
      join(folder, "c.jpg"),
    ]);
    const error = JSON.parse(json.stderr.trim().split("\n").at(-1) ?? "{}").error;
    expect(error.details.ok).toBe(2);
    expect(error.details.failed).toEqual([
      { image: join(folder, "b.png"), code: error.code, message: expect.any(String) },
    ]);
  });

  it("writes one COCO file for a folder: each RLE equal to the run's mask.png, failed images left out", async () => {
    const folder = join(tmp, "coco-in");
    await mkdir(folder);
    await copyFile(images[0], join(folder, "a.png"));
    await copyFile(images[4], join(folder, "b.png"));
    await writeFile(join(folder, "c.png"), "this is not an image\n");
    const out = join(tmp, "segment-coco");
    const coco = join(tmp, "coco", "instances.json");
    const common = ["--task", "saliency", "--policy", policy, "--out", out, "--outputs", "mask"];
    const run = await cli("segment", folder, ...common, "--coco", coco, "--polygons");
    expect(run.code).toBe(1); // c.png failed; the others are still exported
    expect(run.stderr).toMatch(/^segment: 3\/3 /m); // progress on stderr
    expect(run.stdout).toContain(`coco: ${coco}: 2 images, `);
    expect(run.stdout).toContain(`left out: ${join(folder, "c.png")}`);
    const doc = CocoInstancesSchema.parse(JSON.parse(await readFile(coco, "utf8")));
    expect(doc.images.map((i) => [i.id, i.file_name, i.width, i.height])).toEqual([
      [1, "a.png", 96, 96],
      [2, "b.png", 96, 96],
    ]);
    expect(doc.categories).toEqual([{ id: 1, name: "saliency", supercategory: "" }]);
    let annotated = 0;
    for (const image of doc.images) {
      const mask = await decodeBinaryMaskPng(
        new Uint8Array(await readFile(join(out, image.file_name.replace(".png", ".mask.png")))),
      );
      const anns = doc.annotations.filter((a) => a.image_id === image.id);
      const area = mask.data.reduce((a, b) => a + b, 0);
      expect(anns).toHaveLength(area > 0 ? 1 : 0);
      for (const ann of anns) {
        annotated++;
        expect([ann.area, ann.iscrowd, ann.category_id]).toEqual([area, 0, 1]);
        expect(ann.rle && Buffer.from(decodeRle(ann.rle).data).equals(Buffer.from(mask.data))).toBe(true);
        const filled = rasterizePolygons(ann.segmentation as number[][], 96, 96);
        let inter = 0;
        let union = 0;
        for (let i = 0; i < mask.data.length; i++) {
          inter += filled.data[i] & mask.data[i];
          union += filled.data[i] | mask.data[i];
        }
        expect(inter / union).toBeGreaterThanOrEqual(0.98);
      }
    }
    expect(annotated).toBeGreaterThan(0);
  });

  it("refuses --polygons without --coco", async () => {
    const run = await cli("segment", images[0], "--task", "saliency", "--policy", policy, "--polygons");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/INVALID_ARGUMENT: --polygons shapes the --coco file/);
  });

  it("refuses a folder with no images before loading anything", async () => {
    const empty = join(tmp, "empty-folder");
    await mkdir(empty);
    const run = await cli("segment", empty, "--task", "saliency", "--policy", policy);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^INVALID_ARGUMENT: folder .*empty-folder holds no images/m);
  });

  it("exits 1 listing the valid task names on an unknown task", async () => {
    const run = await cli("segment", images[0], "--task", "clouds");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^UNKNOWN_TASK: .*blur, shadow, glass, saliency, voc/m);
  });

  it("says how to get a policy when there is none", async () => {
    const run = await cli("segment", images[0], "--task", "saliency", "--policy", join(tmp, "no-policy"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^POLICY_NOT_FOUND: .*alignsam train --task saliency/m);
  });

  it("runs the shipped voc policy on the encoder and prior its card names, with only --class", async () => {
    const out = join(tmp, "segment-voc");
    const run = await cli("--json", "segment", images[0], "--task", "voc", "--class", "dog", "--out", out);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const shipped = PolicyCardSchema.parse(
      JSON.parse(
        await readFile(fileURLToPath(new URL("../../../../policies/voc/card.json", import.meta.url)), "utf8"),
      ),
    );
    const trajectory = JSON.parse(await readFile(join(out, "img_000.trajectory.json"), "utf8"));
    expect(trajectory.steps).toBe(shipped.hyperparameters.steps);
    expect(JSON.parse(run.stdout)[0].clicks).toBe(shipped.hyperparameters.steps);
  }, 60_000);

  it("refuses an unknown --encoder, listing the valid ones", async () => {
    const run = await cli(
      "segment",
      images[0],
      "--task",
      "saliency",
      "--policy",
      policy,
      "--encoder",
      "deep",
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^INVALID_ARGUMENT: --encoder is "deep"; expected one of: handcrafted, learned, combined/m,
    );
  });
});

describe("alignsam eval", () => {
  it("writes per-image JSONL, summary JSON and Markdown with the same numbers, on the policy's own held-out split", async () => {
    const out = join(tmp, "eval");
    const run = await cli(
      "--json",
      "eval",
      "--task",
      "saliency",
      "--policy",
      policy,
      "--data",
      data,
      "--out",
      out,
    );
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer.split).toMatchObject({ train: 4, test: 6, trainingSetVerified: true });
    const lines = (await readFile(join(out, "images.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
    expect(summary.images).toBe(6);
    const meanIou = lines.reduce((a, l) => a + l.metrics.mIoU, 0) / lines.length;
    expect(summary.metrics.mIoU).toBeCloseTo(meanIou, 10);
    const markdown = await readFile(join(out, "summary.md"), "utf8");
    const row = markdown.split("\n").find((l) => l.startsWith("| AlignSAM"));
    expect(row).toContain(
      `| AlignSAM | ${formatMetric("MAE", summary.metrics.MAE)} | ${formatMetric("E", summary.metrics.E)} | ${formatMetric("mIoU", summary.metrics.mIoU)} | 6 |`,
    );
    // report.html: the same numbers, a histogram of the 6 images, and a gallery with pictures.
    expect(answer.files.html).toBe(join(out, "report.html"));
    const html = await readFile(join(out, "report.html"), "utf8");
    expect(html).toContain(
      `<td data-metric="MAE" data-value="${summary.metrics.MAE}">${formatMetric("MAE", summary.metrics.MAE)}</td>`,
    );
    expect(html).toContain('<figure data-section="histogram" data-images="6">');
    expect(html).toContain('data-section="gallery" data-mode="images"');
    expect(html.match(/<div class="case" data-rank=/g)).toHaveLength(3);
  });

  it("warns when the split is not the one the policy trained on", async () => {
    const run = await cli(
      "eval",
      "--task",
      "saliency",
      "--policy",
      policy,
      "--data",
      data,
      "--out",
      join(tmp, "eval2"),
      "--seed",
      "5",
      "--max-test",
      "2",
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("warning: the policy was not trained on this split");
    expect(run.stdout).toMatch(/saliency: 2 images, MAE/);
  });
});

describe("alignsam eval --samples 0 (a user's own folder)", () => {
  it("scores the shipped blur policy on every pair of a new folder, without the training-split warning", async () => {
    const own = join(tmp, "own");
    const paths = await writeMiniDataset(own, "blur", 3, 64);
    const out = join(tmp, "eval-own");
    const run = await cli("--json", "eval", "--task", "blur", "--data", own, "--samples", "0", "--out", out);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("warning");
    expect(JSON.parse(run.stdout).split).toMatchObject({ train: 0, test: 3, allPairs: true });
    const ids = (await readFile(join(out, "images.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { id: string }).id)
      .sort();
    expect(ids).toEqual(paths.map((p) => basename(p, ".png")));
    expect(await readFile(join(out, "summary.md"), "utf8")).toContain("3 of all 3 pairs of the folder");
  }, 60_000);
});

describe("alignsam with an ONNX SAM package (--sam-manifest)", () => {
  it("trains and segments on the package's segmenter and refuses to mix it with the classic backend", async () => {
    const sam = join(tmp, "sam");
    await writeSamFixture(sam);
    const onnxPolicy = join(tmp, "onnx-policy");
    const common = ["--task", "saliency", "--sam-manifest", sam];
    const train = await cli(
      "train",
      ...common,
      "--data",
      data,
      "--samples",
      "2",
      "--epochs",
      "1",
      "--ppo-epochs",
      "1",
      "--steps",
      "2",
      "--srm-members",
      "1",
      "--srm-augment",
      "0",
      "--srm-max-epochs",
      "1",
      "--eval",
      "1",
      "--out",
      onnxPolicy,
    );
    expect(train.code).toBe(0);
    const card = PolicyCardSchema.parse(JSON.parse(await readFile(join(onnxPolicy, "card.json"), "utf8")));
    expect(card.segmenter.backend).toBe("onnx-sam");
    const out = join(tmp, "segment-onnx");
    const ok = await cli("--json", "segment", images[9], ...common, "--policy", onnxPolicy, "--out", out);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)[0].clicks).toBe(2);
    const withoutPackage = await cli("segment", images[9], "--task", "saliency", "--policy", onnxPolicy);
    expect(withoutPackage.code).toBe(1);
    expect(withoutPackage.stderr).toMatch(/^POLICY_INCOMPATIBLE: .*--sam-manifest/m);
    const classicPolicyOnOnnx = await cli("segment", images[9], ...common, "--policy", policy, "--out", out);
    expect(classicPolicyOnOnnx.code).toBe(1);
    expect(classicPolicyOnOnnx.stderr).toMatch(/^POLICY_INCOMPATIBLE: .*classic/m);
    expect(classicPolicyOnOnnx.stderr).not.toContain("segment: ");
  });
});
