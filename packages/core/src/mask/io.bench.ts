/**
 * Timing of the image/mask I/O hot paths (not a test; here in mask/, which may import image/ but not
 * the reverse): run with
 * `npm exec -- node packages/core/src/mask/io.bench.ts [path/to/image.jpg path/to/mask.png]`.
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { decodeImage } from "../image/decode.ts";
import { encodeRgbJpeg } from "../image/encode.ts";
import { resizeFloatArea, resizeFloatBilinear, resizeRgb } from "../image/resize.ts";
import { createRgbImage } from "../image/types.ts";
import { decodeBinaryMaskPng, encodeMaskPng } from "./png.ts";
import { decodeRle, encodeRle } from "./rle.ts";

async function time(name: string, runs: number, f: () => unknown): Promise<void> {
  await f(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await f();
  const ms = (performance.now() - t0) / runs;
  console.log(`${name.padEnd(52)} ${ms.toFixed(2).padStart(9)} ms/op  (${runs} runs)`);
}

const logits = Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i / 97) * 8);
await time("resizeFloatBilinear 256x256 -> 1024x1024", 20, () =>
  resizeFloatBilinear(logits, 256, 256, 1024, 1024),
);
const big = resizeFloatBilinear(logits, 256, 256, 1024, 1024);
await time("resizeFloatBilinear 1024x1024 -> 1280x960", 20, () =>
  resizeFloatBilinear(big, 1024, 1024, 1280, 960),
);
const grid = Float32Array.from({ length: 800 * 800 }, (_, i) => (i % 7) / 7);
await time("resizeFloatArea 800x800 -> 10x10", 20, () => resizeFloatArea(grid, 800, 800, 10, 10));
await time("resizeFloatArea 1024x1024 -> 64x64", 20, () => resizeFloatArea(big, 1024, 1024, 64, 64));

const [imagePath, maskPath] = process.argv.slice(2);
const image = imagePath
  ? await decodeImage(await readFile(imagePath))
  : createRgbImage(
      1280,
      960,
      Uint8Array.from({ length: 1280 * 960 * 3 }, (_, i) => (i * 31) & 255),
    );
const jpeg = imagePath ? await readFile(imagePath) : await encodeRgbJpeg(image, 90);
await time(`decodeImage JPEG ${image.width}x${image.height}`, 10, () => decodeImage(jpeg));
await time(`resizeRgb ${image.width}x${image.height} -> 800x800 bilinear`, 10, () =>
  resizeRgb(image, 800, 800, "bilinear"),
);
await time(`resizeRgb ${image.width}x${image.height} -> 800x800 area`, 5, () =>
  resizeRgb(image, 800, 800, "area"),
);

const mask = maskPath
  ? await decodeBinaryMaskPng(await readFile(maskPath))
  : {
      width: 1280,
      height: 960,
      data: Uint8Array.from({ length: 1280 * 960 }, (_, i) =>
        ((i % 1280) - 640) ** 2 + (Math.floor(i / 1280) - 480) ** 2 < 300 ** 2 ? 1 : 0,
      ),
    };
const png = await encodeMaskPng(mask);
await time(`decodeBinaryMaskPng ${mask.width}x${mask.height}`, 10, () => decodeBinaryMaskPng(png));
await time(`encodeMaskPng ${mask.width}x${mask.height}`, 10, () => encodeMaskPng(mask));
const rle = encodeRle(mask);
await time(`encodeRle ${mask.width}x${mask.height} (${rle.counts.length} chars)`, 20, () => encodeRle(mask));
await time(`decodeRle ${mask.width}x${mask.height}`, 20, () => decodeRle(rle));
