import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { decodeImage } from "./decode.ts";
import { encodeRgbJpeg, encodeRgbPng } from "./encode.ts";
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
