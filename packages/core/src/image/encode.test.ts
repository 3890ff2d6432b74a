import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { decodeImage } from "./decode.ts";
import { encodeRgbJpeg, encodeRgbPng, resizeGreyPngNearest } from "./encode.ts";
import { createRgbImage } from "./types.ts";

function noise(width: number, height: number) {
  const image = createRgbImage(width, height);
  let s = 7;
  for (let i = 0; i < image.data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    image.data[i] = s >>> 24;
  }
  return image;
}

describe("encodeRgbPng / encodeRgbJpeg", () => {
  it("round-trips an RGB image through PNG exactly", async () => {
    const image = noise(13, 7);
    const png = await encodeRgbPng(image);
    expect((await sharp(png).metadata()).format).toBe("png");
    const back = await decodeImage(png);
    expect([back.width, back.height]).toEqual([13, 7]);
    expect(Buffer.from(back.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it("writes a JPEG whose size falls with quality", async () => {
    const image = noise(32, 32);
    const high = await encodeRgbJpeg(image, 95);
    const low = await encodeRgbJpeg(image, 20);
    expect((await sharp(high).metadata()).format).toBe("jpeg");
    expect(low.length).toBeLessThan(high.length);
    expect((await decodeImage(low)).width).toBe(32);
  });

  it("refuses a buffer of the wrong length and a bad quality with INVALID_ARGUMENT", async () => {
    await expect(encodeRgbPng({ width: 4, height: 4, data: new Uint8Array(10) })).rejects.toSatisfy((e) =>
      isAlignSamError(e, "INVALID_ARGUMENT"),
    );
    await expect(encodeRgbJpeg(noise(2, 2), 0)).rejects.toSatisfy((e) =>
      isAlignSamError(e, "INVALID_ARGUMENT"),
    );
  });
});

describe("resizeGreyPngNearest", () => {
  const grey = (width: number, height: number, data: number[]) =>
    sharp(Uint8Array.from(data), { raw: { width, height, channels: 1 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();

  it("scales a one-channel PNG by nearest sampling, staying one-channel with no new values", async () => {
    const png = await resizeGreyPngNearest(await grey(2, 2, [0, 255, 128, 0]), 6, 4);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", 6, 4, 1]);
    const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data.subarray(0, 6))).toEqual([0, 0, 0, 255, 255, 255]);
    expect(Array.from(data.subarray(18, 24))).toEqual([128, 128, 128, 0, 0, 0]);
  });

  it("returns a PNG already at the size unchanged", async () => {
    const png = new Uint8Array(await grey(3, 2, [1, 2, 3, 4, 5, 6]));
    expect(await resizeGreyPngNearest(png, 3, 2)).toBe(png);
  });

  it("refuses an RGB image or a bad size with INVALID_ARGUMENT", async () => {
    const refused = async (p: Promise<unknown>) =>
      p.then(
        () => false,
        (e) => isAlignSamError(e) && e.code === "INVALID_ARGUMENT",
      );
    expect(await refused(resizeGreyPngNearest(await encodeRgbPng(noise(4, 4)), 8, 8))).toBe(true);
    expect(await refused(resizeGreyPngNearest(await grey(1, 1, [0]), 0, 8))).toBe(true);
  });
});
