/**
 * Generated test images: a bright disc (the "object") on a darker, gently textured background, and
 * its ground-truth mask, as PNG bytes. Deterministic, so a rerun writes identical results.
 */
import sharp from "sharp";

export interface SceneOptions {
  width?: number;
  height?: number;
  /** Disc centre and radius as fractions of the image size. */
  cx?: number;
  cy?: number;
  r?: number;
  seed?: number;
}

export async function sceneFixture(
  options: SceneOptions = {},
): Promise<{ image: Uint8Array; mask: Uint8Array }> {
  const width = options.width ?? 160;
  const height = options.height ?? 120;
  const cx = (options.cx ?? 0.5) * width;
  const cy = (options.cy ?? 0.5) * height;
  const r = (options.r ?? 0.3) * Math.min(width, height);
  let state = options.seed ?? 1;
  const rand = () => {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    return state / 0x1_0000_0000;
  };
  const rgb = new Uint8Array(width * height * 3);
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
      const noise = Math.floor(rand() * 20);
      rgb[i * 3] = inside ? 220 + (noise >> 2) : 40 + noise;
      rgb[i * 3 + 1] = inside ? 180 + (noise >> 2) : 60 + noise;
      rgb[i * 3 + 2] = inside ? 60 : 90 + noise;
      grey[i] = inside ? 255 : 0;
    }
  }
  const image = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  const mask = await sharp(grey, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  return { image: new Uint8Array(image), mask: new Uint8Array(mask) };
}
