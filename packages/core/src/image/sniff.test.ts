import { describe, expect, it } from "vitest";
import { isAcceptedImageFormat, sniffImageFormat } from "./sniff.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const text = (s: string) => new TextEncoder().encode(s);

describe("sniffImageFormat", () => {
  it.each([
    ["jpeg", bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10)],
    ["png", bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0)],
    ["webp", text("RIFF\x24\x00\x00\x00WEBPVP8 ")],
    ["gif", text("GIF89a\x01\x00")],
    ["tiff", bytes(0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0)],
    ["tiff", bytes(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8)],
    ["bmp", text("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00")],
    ["avif", text("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00")],
    ["heif", text("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00")],
    ["pdf", text("%PDF-1.4")],
    ["svg", text('\ufeff  <svg xmlns="http://www.w3.org/2000/svg"/>')],
    ["svg", text('<?xml version="1.0"?>\n<!DOCTYPE svg><svg/>')],
    ["html", text("\n<!doctype HTML><html></html>")],
    ["xml", text('<?xml version="1.0"?><root/>')],
  ])("recognises %s by its magic bytes", (format, data) => {
    expect(sniffImageFormat(data)).toBe(format);
  });

  it("returns undefined for unknown or too-short data", () => {
    expect(sniffImageFormat(new Uint8Array())).toBeUndefined();
    expect(sniffImageFormat(bytes(0xff, 0xd8))).toBeUndefined();
    expect(sniffImageFormat(text("hello world"))).toBeUndefined();
    expect(sniffImageFormat(text("BMW sold 12 cars in 2024, a good year"))).toBeUndefined();
    expect(sniffImageFormat(text("RIFF\x24\x00\x00\x00WAVEfmt "))).toBeUndefined();
  });

  it("accepts only jpeg, png and webp", () => {
    expect(["jpeg", "png", "webp", "gif", undefined].map(isAcceptedImageFormat)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
