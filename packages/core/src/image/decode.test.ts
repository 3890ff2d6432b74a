import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlignSamError } from "../errors.ts";
import {
  DEFAULT_MAX_PIXELS,
  DEFAULT_WORKING_LONG_SIDE,
  decodeImage,
  decodeWorkingImage,
  readImageFile,
  workingImageSize,
} from "./decode.ts";
import { craftPng } from "./png-fixture.ts";

const W = 64;
const H = 48;

/** A gradient with distinct channels, so orientation and channel order are both visible. */
function gradient(width = W, height = H): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      raw[o] = (x * 4) & 255;
      raw[o + 1] = (y * 5) & 255;
      raw[o + 2] = 200;
    }
  }
  return raw;
}

const rawInput = { raw: { width: W, height: H, channels: 3 as const } };

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AlignSamError);
    const err = e as AlignSamError;
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error("expected the promise to reject");
}

describe("decodeImage", () => {
  it("decodes a PNG losslessly to HWC RGB", async () => {
    const png = await sharp(gradient(), rawInput).png().toBuffer();
    const image = await decodeImage(png);
    expect([image.width, image.height]).toEqual([W, H]);
    expect(Buffer.from(image.data).equals(gradient())).toBe(true);
  });

  it("decodes JPEG and WebP close to the source", async () => {
    for (const bytes of [
      await sharp(gradient(), rawInput).jpeg({ quality: 95 }).toBuffer(),
      await sharp(gradient(), rawInput).webp({ quality: 95 }).toBuffer(),
    ]) {
      const image = await decodeImage(bytes);
      expect([image.width, image.height, image.data.length]).toEqual([W, H, W * H * 3]);
      const src = gradient();
      let err = 0;
      for (let i = 0; i < src.length; i++) err += Math.abs(src[i] - image.data[i]);
      expect(err / src.length).toBeLessThan(4);
    }
  });

  it("expands grey and drops alpha, giving three channels", async () => {
    const grey = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    expect(Array.from((await decodeImage(grey)).data)).toEqual([
      0, 0, 0, 128, 128, 128, 255, 255, 255, 64, 64, 64,
    ]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    expect(Array.from((await decodeImage(rgba)).data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("applies EXIF orientation 6 (rotate 90° clockwise)", async () => {
    const jpeg = await sharp(gradient(), rawInput)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await decodeImage(jpeg);
    expect([image.width, image.height]).toEqual([H, W]);
    // Rotating clockwise puts the source's bottom-left corner at the top-left: source (x=0, y=H-1).
    const src = gradient();
    const srcBottomLeft = ((H - 1) * W + 0) * 3;
    expect(Math.abs(image.data[1] - src[srcBottomLeft + 1])).toBeLessThan(6);
    // and the source's top-left (x=0, y=0) at the top-right.
    const topRight = (H - 1) * 3;
    expect(Math.abs(image.data[topRight + 1] - src[1])).toBeLessThan(6);
  });

  it("refuses zero bytes with IMAGE_EMPTY", async () => {
    expect((await codeOf(decodeImage(new Uint8Array()))).code).toBe("IMAGE_EMPTY");
  });

  it("refuses a truncated JPEG with IMAGE_DECODE", async () => {
    const jpeg = await sharp(gradient(), rawInput).jpeg().toBuffer();
    for (const keep of [0.3, 0.7, 0.95]) {
      const e = await codeOf(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * keep))));
      expect(e.code).toBe("IMAGE_DECODE");
    }
  });

  it("refuses a truncated PNG with IMAGE_DECODE", async () => {
    const png = await sharp(gradient(), rawInput).png().toBuffer();
    for (const keep of [20, 60, png.length - 20]) {
      expect((await codeOf(decodeImage(png.subarray(0, keep)))).code).toBe("IMAGE_DECODE");
    }
  });

  it("refuses a truncated WebP with IMAGE_DECODE", async () => {
    const webp = await sharp(gradient(), rawInput).webp({ quality: 90 }).toBuffer();
    expect((await codeOf(decodeImage(webp.subarray(0, Math.floor(webp.length / 2))))).code).toBe(
      "IMAGE_DECODE",
    );
  });

  it("refuses corrupt data behind a valid signature with IMAGE_DECODE", async () => {
    const png = craftPng({ width: 8, height: 8, idat: new Uint8Array([1, 2, 3, 4, 5]) });
    expect((await codeOf(decodeImage(png))).code).toBe("IMAGE_DECODE");
  });

  it("refuses unknown bytes with IMAGE_DECODE", async () => {
    const e = await codeOf(decodeImage(new TextEncoder().encode("just some text, not an image")));
    expect(e.code).toBe("IMAGE_DECODE");
    expect(e.message).toContain("jpeg, png, webp");
  });

  it.each([
    ["HTML", "<!DOCTYPE html><html><body>hi</body></html>", "html"],
    ["SVG", '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "svg"],
    ["PDF", "%PDF-1.7\n%âãÏÓ\n", "pdf"],
  ])("refuses %s sent as an image with IMAGE_UNSUPPORTED_FORMAT", async (_name, text, format) => {
    const e = await codeOf(decodeImage(new TextEncoder().encode(text)));
    expect(e.code).toBe("IMAGE_UNSUPPORTED_FORMAT");
    expect(e.message).toContain(format.toUpperCase());
    expect(e.message).toContain("jpeg, png, webp");
    expect(e.details).toMatchObject({ format, accepted: ["jpeg", "png", "webp"] });
  });

  it("refuses GIF and TIFF (real files from sharp) with IMAGE_UNSUPPORTED_FORMAT", async () => {
    for (const [format, bytes] of [
      ["gif", await sharp(gradient(), rawInput).gif().toBuffer()],
      ["tiff", await sharp(gradient(), rawInput).tiff().toBuffer()],
    ] as const) {
      const e = await codeOf(decodeImage(bytes));
      expect(e.code).toBe("IMAGE_UNSUPPORTED_FORMAT");
      expect(e.details).toMatchObject({ format });
    }
  });

  it("refuses a 30000x30000 PNG header with IMAGE_TOO_LARGE before decoding", async () => {
    // 370 bytes claiming 900 megapixels: a decompression bomb's header.
    const bomb = craftPng({ width: 30000, height: 30000, idat: new Uint8Array([0x78, 0x9c, 0x03, 0x00]) });
    const e = await codeOf(decodeImage(bomb));
    expect(e.code).toBe("IMAGE_TOO_LARGE");
    expect(e.message).toContain("900000000");
    expect(e.message).toContain(String(DEFAULT_MAX_PIXELS));
    expect(e.details).toMatchObject({ width: 30000, height: 30000, maxPixels: DEFAULT_MAX_PIXELS });
  });

  it("honours a custom maxPixels", async () => {
    const png = await sharp(gradient(), rawInput).png().toBuffer();
    expect((await codeOf(decodeImage(png, { maxPixels: W * H - 1 }))).code).toBe("IMAGE_TOO_LARGE");
    expect((await decodeImage(png, { maxPixels: W * H })).width).toBe(W);
  });
});

describe("decodeWorkingImage", () => {
  it("refuses more than 25 MP by default: a 24 MP camera frame passes the header check, 6300x6300 does not", async () => {
    expect(DEFAULT_MAX_PIXELS).toBe(25_000_000);
    const idat = new Uint8Array([0x78, 0x9c, 0x03, 0x00]);
    const e = await codeOf(decodeWorkingImage(craftPng({ width: 6300, height: 6300, idat })));
    expect(e.code).toBe("IMAGE_TOO_LARGE");
    // 6000x4000 is within the limit: it gets past the header to the (deliberately broken) pixels.
    expect((await codeOf(decodeWorkingImage(craftPng({ width: 6000, height: 4000, idat })))).code).toBe(
      "IMAGE_DECODE",
    );
  });

  it("decodes an image that fits to exactly decodeImage's pixels (PNG, JPEG, EXIF-rotated JPEG)", async () => {
    for (const bytes of [
      await sharp(gradient(), rawInput).png().toBuffer(),
      await sharp(gradient(), rawInput).jpeg({ quality: 90 }).toBuffer(),
      await sharp(gradient(), rawInput).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    ]) {
      const full = await decodeImage(bytes);
      const working = await decodeWorkingImage(bytes, { maxLongSide: W });
      expect(working.scaled).toBe(false);
      expect([working.originalWidth, working.originalHeight]).toEqual([full.width, full.height]);
      expect([working.image.width, working.image.height]).toEqual([full.width, full.height]);
      expect(Buffer.from(working.image.data).equals(Buffer.from(full.data))).toBe(true);
    }
  });

  it("shrinks a large PNG while decoding to the working long side, reporting the input's size", async () => {
    // 6000x3000: left half red, right half blue; 54 MB as RGB, a few KB as PNG.
    const width = 6000;
    const height = 3000;
    const png = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 0, b: 0 } } })
      .composite([
        {
          input: { create: { width: width / 2, height, channels: 3, background: { r: 0, g: 0, b: 200 } } },
          left: width / 2,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
    const working = await decodeWorkingImage(png);
    expect(working).toMatchObject({ originalWidth: width, originalHeight: height, scaled: true });
    expect([working.image.width, working.image.height]).toEqual([DEFAULT_WORKING_LONG_SIDE, 1024]);
    expect(working.image.data.length).toBe(DEFAULT_WORKING_LONG_SIDE * 1024 * 3);
    const at = (x: number, y: number) =>
      Array.from(working.image.data.subarray((y * 2048 + x) * 3, (y * 2048 + x) * 3 + 3));
    expect(at(10, 500)).toEqual([200, 0, 0]);
    expect(at(2040, 500)).toEqual([0, 0, 200]);
  });

  it("shrinks in oriented coordinates: a sideways-stored 3000x1500 JPEG comes out 1024x2048", async () => {
    const jpeg = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: "#808080" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const working = await decodeWorkingImage(jpeg);
    expect(working).toMatchObject({ originalWidth: 1500, originalHeight: 3000, scaled: true });
    expect([working.image.width, working.image.height]).toEqual([1024, 2048]);
  });

  it("refuses a non-positive or fractional maxLongSide with INVALID_ARGUMENT", async () => {
    const png = await sharp(gradient(), rawInput).png().toBuffer();
    for (const maxLongSide of [0, -5, 10.5]) {
      expect((await codeOf(decodeWorkingImage(png, { maxLongSide }))).code).toBe("INVALID_ARGUMENT");
    }
  });

  it("sizes keep the aspect ratio and never exceed the long side", () => {
    expect(workingImageSize(640, 480, 2048)).toEqual({ width: 640, height: 480 });
    expect(workingImageSize(6300, 6300, 2048)).toEqual({ width: 2048, height: 2048 });
    expect(workingImageSize(10_000, 3, 2048)).toEqual({ width: 2048, height: 1 });
  });
});

describe("readImageFile", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "alignsam-decode-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads and decodes a file, naming the path in errors", async () => {
    const good = join(dir, "good.png");
    await writeFile(good, await sharp(gradient(), rawInput).png().toBuffer());
    expect((await readImageFile(good)).height).toBe(H);
    const bad = join(dir, "bad.jpg");
    await writeFile(bad, "<html></html>");
    const e = await codeOf(readImageFile(bad));
    expect(e.code).toBe("IMAGE_UNSUPPORTED_FORMAT");
    expect(e.message).toContain(bad);
  });

  it("refuses a missing file with INVALID_ARGUMENT", async () => {
    expect((await codeOf(readImageFile(join(dir, "missing.png")))).code).toBe("INVALID_ARGUMENT");
  });
});
