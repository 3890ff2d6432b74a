/** Image I/O: decoding untrusted bytes, encoding, resizing, and SAM letterboxing. */
export * from "./codec-settings.ts";
export * from "./decode.ts";
export * from "./encode.ts";
export * from "./letterbox.ts";
export * from "./resize.ts";
export * from "./types.ts";
