import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { AlignSamError } from "../errors.ts";
import { craftPng } from "../image/png-fixture.ts";
import { decodeBinaryMaskPng, decodeLabelPng, encodeMaskPng, encodeProbabilityPng } from "./png.ts";

const grey = (width: number, height: number, values: number[]) =>
  sharp(Uint8Array.from(values), { raw: { width, height, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toBuffer();

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AlignSamError);
    return (e as AlignSamError).code;
  }
  throw new Error("expected a rejection");
}

/** A VOC-style palette: 256 entries, 0 black, 1 dark red, 2 dark green, 255 the void cream. */
function vocPalette(): Uint8Array {
  const p = new Uint8Array(256 * 3);
  for (let i = 3; i < 255; i++) p.set([i, 255 - i, (i * 7) & 255], i * 3);
  p.set([0, 0, 0], 0);
  p.set([128, 0, 0], 3);
  p.set([0, 128, 0], 6);
  p.set([224, 224, 192], 255 * 3);
  return p;
}

describe("decodeBinaryMaskPng", () => {
  it("thresholds grey at 128", async () => {
    const m = await decodeBinaryMaskPng(await grey(3, 2, [0, 127, 128, 255, 1, 200]));
    expect([m.width, m.height]).toEqual([3, 2]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 1, 0, 1]);
  });

  it("reads 16-bit grey and RGB masks by intensity", async () => {
    // 16-bit levels scale to 8 bits (v / 257): 32767 -> 127.5 (background), 32896 -> 128 (foreground)
    const wide = await sharp(Uint16Array.from([0, 32767, 32896, 65535]), {
      raw: { width: 2, height: 2, channels: 1 },
    })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    expect((await sharp(wide).metadata()).depth).toBe("ushort");
    expect(Array.from((await decodeBinaryMaskPng(wide)).data)).toEqual([0, 0, 1, 1]);
    const rgb = await sharp(Uint8Array.from([255, 255, 255, 0, 0, 0]), {
      raw: { width: 2, height: 1, channels: 3 },
    })
      .png()
      .toBuffer();
    expect(Array.from((await decodeBinaryMaskPng(rgb)).data)).toEqual([1, 0]);
  });

  it("reads a palette mask by index: foreground is any index but 0 and 255", async () => {
    const png = craftPng({
      width: 4,
      height: 1,
      colourType: 3,
      palette: vocPalette(),
      pixels: Uint8Array.from([0, 1, 2, 255]),
    });
    expect(Array.from((await decodeBinaryMaskPng(png)).data)).toEqual([0, 1, 1, 0]);
  });

  it("refuses empty, truncated and non-PNG bytes with MASK_DECODE", async () => {
    const png = await grey(
      16,
      16,
      Array.from({ length: 256 }, (_, i) => i),
    );
    expect(await codeOf(decodeBinaryMaskPng(new Uint8Array()))).toBe("MASK_DECODE");
    expect(await codeOf(decodeBinaryMaskPng(png.subarray(0, png.length - 30)))).toBe("MASK_DECODE");
    const jpeg = await sharp(png).jpeg().toBuffer();
    await expect(decodeBinaryMaskPng(jpeg)).rejects.toThrow(/must be PNG.*JPEG/);
    expect(await codeOf(decodeBinaryMaskPng(new TextEncoder().encode("<html></html>")))).toBe("MASK_DECODE");
  });

  it("refuses a mask header beyond maxPixels with IMAGE_TOO_LARGE", async () => {
    const bomb = craftPng({ width: 20000, height: 20000, idat: Uint8Array.from([0x78, 0x9c, 0x03, 0x00]) });
    expect(await codeOf(decodeBinaryMaskPng(bomb))).toBe("IMAGE_TOO_LARGE");
  });
});

describe("decodeLabelPng", () => {
  it("keeps raw grey values as labels, 255 as void", async () => {
    const labels = await decodeLabelPng(await grey(4, 1, [0, 1, 20, 255]));
    expect(Array.from(labels.data)).toEqual([0, 1, 20, 255]);
  });

  it("reads 16-bit grey labels at full depth and refuses values above 255", async () => {
    const wide = (values: number[]) =>
      sharp(Uint16Array.from(values), {
        raw: { width: values.length, height: 1, channels: 1 },
      })
        .toColourspace("grey16")
        .png()
        .toBuffer();
    const small = await wide([0, 1, 2, 255]);
    expect((await sharp(small).metadata()).depth).toBe("ushort");
    expect(Array.from((await decodeLabelPng(small)).data)).toEqual([0, 1, 2, 255]);
    await expect(decodeLabelPng(await wide([0, 65535]))).rejects.toThrow(
      /16-bit label PNG holds value 65535/,
    );
  });

  it("recovers palette indices from a VOC-style palette PNG", async () => {
    const pixels = Uint8Array.from([0, 1, 2, 255, 17, 1]);
    const png = craftPng({ width: 3, height: 2, colourType: 3, palette: vocPalette(), pixels });
    const labels = await decodeLabelPng(png);
    expect([labels.width, labels.height]).toEqual([3, 2]);
    expect(Array.from(labels.data)).toEqual(Array.from(pixels));
  });

  it("reads the file's own samples from 1- and 4-bit grey and 4-bit palette PNGs", async () => {
    const bits = Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 1, 1, 0]);
    const oneBit = craftPng({ width: 10, height: 1, bitDepth: 1, pixels: bits });
    expect(Array.from((await decodeLabelPng(oneBit)).data)).toEqual(Array.from(bits));
    expect(Array.from((await decodeBinaryMaskPng(oneBit)).data)).toEqual(Array.from(bits));
    const fourBit = craftPng({ width: 3, height: 1, bitDepth: 4, pixels: Uint8Array.from([0, 7, 15]) });
    expect(Array.from((await decodeLabelPng(fourBit)).data)).toEqual([0, 7, 15]);
    const palette = vocPalette().subarray(0, 16 * 3);
    const pixels = Uint8Array.from([2, 0, 15]);
    const fourBitPalette = craftPng({ width: 3, height: 1, colourType: 3, bitDepth: 4, palette, pixels });
    expect(Array.from((await decodeLabelPng(fourBitPalette)).data)).toEqual([2, 0, 15]);
  });

  it("maps a colour repeated in the palette to its first index", async () => {
    const palette = Uint8Array.from([0, 0, 0, 9, 9, 9, 9, 9, 9]);
    const png = craftPng({ width: 3, height: 1, colourType: 3, palette, pixels: Uint8Array.from([0, 1, 2]) });
    expect(Array.from((await decodeLabelPng(png)).data)).toEqual([0, 1, 1]);
  });

  it("refuses a colour PNG without a palette with MASK_DECODE", async () => {
    const rgb = craftPng({ width: 1, height: 1, colourType: 2, pixels: Uint8Array.from([200, 10, 10]) });
    await expect(decodeLabelPng(rgb)).rejects.toThrow(/without a palette/);
    const greyish = craftPng({ width: 1, height: 1, colourType: 2, pixels: Uint8Array.from([7, 7, 7]) });
    expect(Array.from((await decodeLabelPng(greyish)).data)).toEqual([7]);
  });
});

describe("encodeMaskPng / encodeProbabilityPng", () => {
  it("writes a binary mask as 8-bit grey 0/255 that reads back identically", async () => {
    const mask = {
      width: 5,
      height: 3,
      data: Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1]),
    };
    const png = await encodeMaskPng(mask);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.channels, meta.depth]).toEqual(["png", 1, "uchar"]);
    const raw = await sharp(png).extractChannel(0).raw().toBuffer();
    expect(Array.from(raw)).toEqual(Array.from(mask.data, (v) => v * 255));
    expect(await decodeBinaryMaskPng(png)).toEqual(mask);
  });

  it("writes probabilities as round(p * 255), clamped, NaN as 0", async () => {
    const p = { width: 6, height: 1, data: Float32Array.from([0, 0.5, 1, 1.7, -1, Number.NaN]) };
    const raw = await sharp(await encodeProbabilityPng(p))
      .extractChannel(0)
      .raw()
      .toBuffer();
    expect(Array.from(raw)).toEqual([0, 128, 255, 255, 0, 0]);
  });

  it("reads a lazily painted mask's data a fixed number of times, not once per pixel", async () => {
    // The classic backend paints its full-size masks behind a getter on first read.
    const bits = Uint8Array.from({ length: 64 * 48 }, (_, i) => (i % 7 < 3 ? 1 : 0));
    let reads = 0;
    const lazy = {
      width: 64,
      height: 48,
      get data(): Uint8Array {
        reads++;
        return bits;
      },
    };
    const png = await encodeMaskPng(lazy);
    expect(reads).toBeLessThanOrEqual(2);
    expect((await decodeBinaryMaskPng(png)).data).toEqual(bits);
  });

  it("refuses a mask whose data does not match its size with MASK_SHAPE", async () => {
    expect(await codeOf(encodeMaskPng({ width: 3, height: 3, data: new Uint8Array(8) }))).toBe("MASK_SHAPE");
  });
});
