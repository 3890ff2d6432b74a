/** Image I/O: decoding untrusted bytes, encoding, and resizing (SAM's letterbox is in models/onnx-sam). */
export * from "./codec-settings.ts";
export * from "./decode.ts";
export * from "./encode.ts";
export * from "./resize.ts";
export * from "./types.ts";
