import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import { clipFixtureTokenVector, EOT, SOT, writeClipFixture } from "../../testing/clip-fixtures.ts";
import { expectKind, loadManifest } from "../manifest/load.ts";
import { type ClipSurgeryPrior, createClipSurgeryPrior } from "./prior.ts";
import { ensemble } from "./surgery.ts";
import { applyTemplates, DEFAULT_TEMPLATES } from "./templates.ts";
import { loadClipTokenizer, tokenizeBatch } from "./text-encoder.ts";

let root: string;
const priors: ClipSurgeryPrior[] = [];

async function prior(name: string, options: Parameters<typeof writeClipFixture>[1] = {}) {
  const dir = join(root, name);
  await writeClipFixture(dir, options);
  const p = await createClipSurgeryPrior({ manifestUri: dir, executionProviders: ["cpu"] });
  priors.push(p);
  return p;
}

/** Grey image with a red rectangle [x0, x1) x [y0, y1). */
function redSquare(w: number, h: number, x0: number, y0: number, x1: number, y1: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const red = x >= x0 && x < x1 && y >= y0 && y < y1;
      data.set(red ? [230, 20, 20] : [128, 128, 128], (y * w + x) * 3);
    }
  }
  return { width: w, height: h, data };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clip-surgery-"));
});
afterAll(async () => {
  for (const p of priors) await p.dispose();
  await rm(root, { recursive: true, force: true });
});

describe("CLIP tokenizer (tokenizer.json via @huggingface/tokenizers)", () => {
  it("round-trips text and wraps it in start/end-of-text tokens", async () => {
    const dir = join(root, "tok");
    await writeClipFixture(dir);
    const loaded = expectKind(await loadManifest(dir), ["clip-surgery"]);
    const tok = await loadClipTokenizer(loaded);
    const enc = tok.encode("A photo of the  RED shadow");
    expect(enc.tokens).toEqual([
      SOT,
      "a</w>",
      "photo</w>",
      "of</w>",
      "the</w>",
      "red</w>",
      "shadow</w>",
      EOT,
    ]);
    expect(tok.decode(enc.ids, { skip_special_tokens: true })).toBe("a photo of the red shadow");
  });

  it("pads to the context length and truncates keeping end-of-text last", async () => {
    const dir = join(root, "tok2");
    await writeClipFixture(dir);
    const tok = await loadClipTokenizer(expectKind(await loadManifest(dir), ["clip-surgery"]));
    const eot = tok.token_to_id(EOT)!;
    const b = tokenizeBatch(tok, ["red", "x y z w v"], 5, 0);
    expect([b.batch, b.length]).toEqual([2, 5]);
    expect(b.ids.slice(0, 5)).toEqual([tok.token_to_id(SOT), tok.token_to_id("red</w>"), eot, 0, 0]);
    expect(b.mask.slice(0, 5)).toEqual([1, 1, 1, 0, 0]);
    expect(b.ids[9]).toBe(eot);
    expect(b.mask.slice(5)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("CLIP Surgery prior", () => {
  it("ensembles the text model's features over the templates (checked by hand from the fixture)", async () => {
    const p = await prior("ensemble");
    const dir = join(root, "ensemble");
    const tok = await loadClipTokenizer(expectKind(await loadManifest(dir), ["clip-surgery"]));
    const prompts = applyTemplates("red", DEFAULT_TEMPLATES);
    const rows = new Float32Array(prompts.length * 4);
    prompts.forEach((prompt, i) => {
      const sum = [0, 0, 0, 0];
      for (const t of tok.encode(prompt).tokens) {
        clipFixtureTokenVector(t).forEach((v, j) => {
          sum[j] += v;
        });
      }
      rows.set(sum, i * 4);
    });
    const expected = ensemble(rows, 4);
    const got = await p.conceptFeature(["red"]);
    for (let j = 0; j < 4; j++) expect(got[j]).toBeCloseTo(expected[j], 5);
  });

  it("lights up where the image matches the text, in [0, 1] at the requested grid", async () => {
    const p = await prior("stretch");
    const img = redSquare(300, 200, 0, 0, 120, 80); // top-left 40% x 40%
    const red = await p.similarity(img, ["red"], { width: 10, height: 10 });
    expect([red.width, red.height, red.data.length]).toEqual([10, 10, 100]);
    expect(Math.max(...red.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...red.data)).toBeGreaterThanOrEqual(0);
    expect(red.data[0]).toBeGreaterThan(0.9);
    expect(red.data[99]).toBeLessThan(0.1);
    let inside = 0;
    let outside = 0;
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        if (x < 3 && y < 3) inside += red.data[y * 10 + x] / 9;
        if (x >= 6 && y >= 6) outside += red.data[y * 10 + x] / 16;
      }
    }
    expect(inside).toBeGreaterThan(outside + 0.5);
    const blue = await p.similarity(img, ["blue"], { width: 10, height: 10 });
    // The red square is less blue than the grey background, and far less blue than it is red.
    expect(blue.data[0]).toBeLessThan(blue.data[99]);
    expect(red.data[0] - blue.data[0]).toBeGreaterThan(0.4);
  });

  it("uses the multi-class surgery when the manifest lists background texts", async () => {
    const p = await prior("classes", { backgroundTexts: ["blue", "background"] });
    const map = await p.similarity(redSquare(224, 224, 112, 112, 224, 224), ["red"], { width: 4, height: 4 });
    expect(map.data[15]).toBeGreaterThan(0.9);
    expect(map.data[0]).toBeLessThan(0.1);
  });

  it("maps a centre-cropped model frame back onto the whole image", async () => {
    const p = await prior("crop", { resize: "centre-crop" });
    // 448 x 224: the crop is the middle 224 columns; the red square sits at its right half.
    const map = await p.similarity(redSquare(448, 224, 224, 0, 336, 224), ["red"], { width: 8, height: 1 });
    expect(map.data[4]).toBeGreaterThan(0.9);
    expect(map.data[5]).toBeGreaterThan(0.9);
    expect(map.data[2]).toBeLessThan(0.1);
  });

  it("refuses no text, and a bad grid, with INVALID_ARGUMENT", async () => {
    const p = await prior("errors");
    const img = redSquare(32, 32, 0, 0, 8, 8);
    await expect(p.similarity(img, [], { width: 2, height: 2 })).rejects.toSatisfy((e) =>
      isAlignSamError(e, "INVALID_ARGUMENT"),
    );
    await expect(p.similarity(img, ["red"], { width: 0, height: 2 })).rejects.toSatisfy((e) =>
      isAlignSamError(e, "INVALID_ARGUMENT"),
    );
  });

  it("refuses a SAM package handed to the CLIP adapter", async () => {
    const { writeSamFixture } = await import("../../testing/sam-fixtures.ts");
    const dir = join(root, "sam");
    await writeSamFixture(dir);
    await expect(createClipSurgeryPrior({ manifestUri: dir })).rejects.toThrow(
      /expected one of: clip-surgery/,
    );
  });
});
