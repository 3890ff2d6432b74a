/** Mask I/O: PNG and COCO RLE codecs, resizing and thresholding, overlays. */
export * from "./overlay.ts";
export * from "./png.ts";
export * from "./resize.ts";
export * from "./rle.ts";
export * from "./types.ts";
