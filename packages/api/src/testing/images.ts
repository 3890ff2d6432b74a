/** Test fixtures made in code: small real images encoded by sharp, and bytes that only look like one. */
import sharp from "sharp";

/** A w x h gradient image in the given format. */
export async function makeImage(
  format: "jpeg" | "png" | "webp",
  width = 32,
  height = 24,
): Promise<Uint8Array<ArrayBuffer>> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = 128;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  const out = await (format === "jpeg" ? img.jpeg() : format === "png" ? img.png() : img.webp()).toBuffer();
  return new Uint8Array(out);
}

export const SVG_BYTES = new TextEncoder().encode(
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
);
