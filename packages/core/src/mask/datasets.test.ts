import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readImageFile } from "../image/decode.ts";
import { decodeBinaryMaskPng, decodeLabelPng } from "./png.ts";
import { decodeRle, encodeRle } from "./rle.ts";

const root = process.env.ALIGNSAM_DATASETS ?? resolve(import.meta.dirname, "../../../../../shared/datasets");
const present = existsSync(root);
const tasks = present ? readdirSync(root).filter((t) => existsSync(join(root, t, "masks"))) : [];

describe.skipIf(!present)(
  `real dataset files (${present ? root : `skipped: ${root} not found; set ALIGNSAM_DATASETS`})`,
  () => {
    it.each(tasks)(
      "%s: the first image and its mask decode at the same size, mask 0/255 -> 0/1",
      async (task) => {
        const masks = readdirSync(join(root, task, "masks"))
          .filter((f) => f.endsWith(".png"))
          .sort();
        const id = masks[0].replace(/\.png$/, "");
        const imageFile = readdirSync(join(root, task, "images")).find(
          (f) => f.replace(/\.[^.]+$/, "") === id,
        );
        expect(imageFile, `image for ${id}`).toBeDefined();
        const image = await readImageFile(join(root, task, "images", imageFile as string));
        const bytes = await readFile(join(root, task, "masks", masks[0]));
        const mask = await decodeBinaryMaskPng(bytes);
        expect([mask.width, mask.height]).toEqual([image.width, image.height]);
        const labels = await decodeLabelPng(bytes);
        const values = new Set(labels.data);
        for (const v of values) expect([0, 255]).toContain(v);
        labels.data.forEach((v, i) => {
          if ((v === 255) !== (mask.data[i] === 1))
            throw new Error(`pixel ${i}: label ${v}, mask ${mask.data[i]}`);
        });
        expect(Buffer.from(decodeRle(encodeRle(mask)).data).equals(mask.data)).toBe(true);
      },
    );
  },
);
