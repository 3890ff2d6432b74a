import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkingImage } from "@alignsam/core/image";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbeResultSchema } from "./testing/segment-memory-probe.ts";
import {
  decodeForJob,
  labelsAtWorkingSize,
  maskAtOriginalSize,
  pngAtOriginalSize,
  trajectoryAtOriginalSize,
} from "./working-image.ts";

/** A 6000x6000 PNG like the outside test round's (a flat disc on a flat ground: under 1 MB). */
async function bigPng(path?: string): Promise<Buffer> {
  const side = 6000;
  const disc = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><circle cx="3000" cy="3000" r="1500" fill="#e0c040"/></svg>`,
  );
  const png = sharp({ create: { width: side, height: side, channels: 3, background: "#203050" } })
    .composite([{ input: disc }])
    .png();
  if (path) await png.toFile(path);
  return png.toBuffer();
}

const limits = { maxPixels: 40_000_000, maxLongSide: 2048 };

describe("jobs decode at the working size", () => {
  let dir = "";
  let png: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "alignsam-working-"));
    png = await bigPng(join(dir, "big.png"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps a 6000x6000 PNG's decoded pixels at 2048x2048 and remembers its size", async () => {
    const working = await decodeForJob(png, limits);
    expect(working).toMatchObject({ originalWidth: 6000, originalHeight: 6000, scaled: true });
    expect([working.image.width, working.image.height]).toEqual([2048, 2048]);
    expect(working.image.data.length).toBe(2048 * 2048 * 3);
    const centre = (1024 * 2048 + 1024) * 3;
    expect(Array.from(working.image.data.subarray(centre, centre + 3))).toEqual([0xe0, 0xc0, 0x40]);
  });

  it("refuses the same PNG under the default 25 MP limit with IMAGE_TOO_LARGE", async () => {
    await expect(decodeForJob(png)).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
  });

  it.skipIf(!existsSync("/proc/self/status"))(
    "segments it in a child process with under 400 MB of resident growth (a full decode takes over 1 GB)",
    async () => {
      const probe = join(import.meta.dirname, "testing/segment-memory-probe.ts");
      const args = JSON.stringify({ image: join(dir, "big.png"), jobs: 1, ...limits });
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [probe, args], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        child.stdout.on("data", (d) => {
          text += d;
        });
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`probe exited ${code}`))));
      });
      const result = ProbeResultSchema.parse(JSON.parse(out.trim().split("\n").at(-1) ?? ""));
      expect(result.states).toEqual(["succeeded"]);
      expect(result.peakReset).toBe(true);
      expect(result.peakMiB - result.rssBeforeMiB).toBeLessThan(400);
    },
    180_000,
  );
});

describe("results at the input's size", () => {
  const working: WorkingImage = {
    image: { width: 4, height: 2, data: new Uint8Array(4 * 2 * 3) },
    originalWidth: 8,
    originalHeight: 4,
    scaled: true,
  };

  it("scales the mask up by nearest sampling and the clicks into the input's coordinates", () => {
    const mask = maskAtOriginalSize(
      { width: 4, height: 2, data: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 1]) },
      working,
    );
    expect([mask.width, mask.height]).toEqual([8, 4]);
    expect(Array.from(mask.data.subarray(0, 8))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(mask.data.subarray(24, 32))).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    const [click] = trajectoryAtOriginalSize([{ step: 1, x: 3.5, y: 1.5, label: 1 }], working);
    expect(click).toMatchObject({ x: 7, y: 3, label: 1 });
  });

  it("scales a ground truth down to the working size", () => {
    const labels = labelsAtWorkingSize(
      { width: 8, height: 4, data: new Uint8Array(32).fill(255, 16) },
      working,
    );
    expect(labels).toMatchObject({ width: 4, height: 2 });
    expect(Array.from(labels.data)).toEqual([0, 0, 0, 0, 255, 255, 255, 255]);
  });

  it("scales a greyscale PNG to the input's size", async () => {
    const small = await sharp(Uint8Array.from([0, 255, 0, 255, 0, 0, 0, 0]), {
      raw: { width: 4, height: 2, channels: 1 },
    })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    const meta = await sharp(await pngAtOriginalSize(small, working)).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([8, 4, 1]);
  });

  it("leaves everything as it is when the image was not scaled", async () => {
    const same: WorkingImage = { ...working, originalWidth: 4, originalHeight: 2, scaled: false };
    const mask = { width: 4, height: 2, data: new Uint8Array(8) };
    expect(maskAtOriginalSize(mask, same)).toBe(mask);
    const steps = [{ step: 1, x: 1, y: 1, label: 0 as const }];
    expect(trajectoryAtOriginalSize(steps, same)).toBe(steps);
    const png = new Uint8Array([1, 2, 3]);
    expect(await pngAtOriginalSize(png, same)).toBe(png);
  });
});
