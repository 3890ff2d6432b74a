/**
 * A generated mini dataset for the CLI tests: `<root>/<task>/images/*.png` and `masks/*.png` written
 * from the pipeline's synthetic samples (bright blobs on texture), so train / eval run on real files
 * without touching the research datasets.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeRgbPng } from "../image/encode.ts";
import { encodeMaskPng } from "../mask/png.ts";
import { generateSample } from "../pipeline/testing-segmenter.ts";

/** Writes `count` pairs for `task` under `root`; returns the image paths. */
export async function writeMiniDataset(
  root: string,
  task: string,
  count: number,
  size = 96,
): Promise<string[]> {
  const images = join(root, task, "images");
  const masks = join(root, task, "masks");
  await mkdir(images, { recursive: true });
  await mkdir(masks, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = generateSample(1000 + i, size, size);
    const id = `img_${String(i).padStart(3, "0")}`;
    const path = join(images, `${id}.png`);
    await writeFile(path, await encodeRgbPng(s.image));
    await writeFile(join(masks, `${id}.png`), await encodeMaskPng(s.mask));
    paths.push(path);
  }
  return paths;
}
