import { isAlignSamError } from "@alignsam/core/light";
import { describe, expect, it } from "vitest";
import { makeImage, SVG_BYTES } from "../testing/images.ts";
import { sniffImage } from "./image-sniff.ts";

const opts = { maxPixels: 1_000_000 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isAlignSamError(e) ? e.code : "NOT_ALIGNSAM";
  }
  return undefined;
}

describe("sniffImage", () => {
  it.each(["jpeg", "png", "webp"] as const)(
    "names a real %s and reads its size from the header",
    async (format) => {
      const bytes = await makeImage(format, 37, 21);
      const sniffed = sniffImage(bytes, opts);
      expect(sniffed.contentType).toBe(`image/${format}`);
      expect([sniffed.width, sniffed.height]).toEqual([37, 21]);
    },
  );

  it("reads the size of a lossless WebP", async () => {
    const sharp = (await import("sharp")).default;
    const bytes = await sharp({ create: { width: 13, height: 9, channels: 3, background: "#808080" } })
      .webp({ lossless: true })
      .toBuffer();
    expect(sniffImage(new Uint8Array(bytes), opts)).toMatchObject({ width: 13, height: 9 });
  });

  it.each(["jpeg", "png", "webp"] as const)("refuses a truncated %s with IMAGE_DECODE", async (format) => {
    const bytes = await makeImage(format, 64, 48);
    expect(codeOf(() => sniffImage(bytes.subarray(0, Math.floor(bytes.length * 0.6)), opts))).toBe(
      "IMAGE_DECODE",
    );
  });

  it("refuses SVG with IMAGE_UNSUPPORTED_FORMAT listing the accepted types", () => {
    try {
      sniffImage(SVG_BYTES, opts);
      expect.unreachable();
    } catch (e) {
      expect(isAlignSamError(e, "IMAGE_UNSUPPORTED_FORMAT")).toBe(true);
      expect((e as Error).message).toMatch(/SVG.*image\/jpeg, image\/png, image\/webp/);
    }
  });

  it("refuses a GIF and plain text", () => {
    expect(codeOf(() => sniffImage(new TextEncoder().encode("GIF89a\x01\x00\x01\x00"), opts))).toBe(
      "IMAGE_UNSUPPORTED_FORMAT",
    );
    expect(codeOf(() => sniffImage(new TextEncoder().encode("hello"), opts))).toBe(
      "IMAGE_UNSUPPORTED_FORMAT",
    );
  });

  it("refuses empty bytes with IMAGE_EMPTY", () => {
    expect(codeOf(() => sniffImage(new Uint8Array(0), opts))).toBe("IMAGE_EMPTY");
  });

  it("refuses an image over the pixel budget with IMAGE_TOO_LARGE", async () => {
    const bytes = await makeImage("png", 40, 30);
    expect(codeOf(() => sniffImage(bytes, { maxPixels: 40 * 30 - 1 }))).toBe("IMAGE_TOO_LARGE");
    expect(sniffImage(bytes, { maxPixels: 40 * 30 }).width).toBe(40);
  });
});
