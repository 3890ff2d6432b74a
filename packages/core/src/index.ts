/**
 * The public face of @alignsam/core: everything a library user, the API or the worker needs, from
 * one import. Every name is defined once in the tree, so the star exports below never clash.
 *
 * Heavy at import time (TensorFlow.js, ONNX Runtime, sharp): code that only validates task names or
 * job messages should import `@alignsam/core/light` instead.
 */

export * from "./datasets/index.ts";
export * from "./errors.ts";
export * from "./evaluation/index.ts";
export * from "./export/index.ts";
export * from "./image/index.ts";
export * from "./jobs/index.ts";
export * from "./mask/index.ts";
export * from "./metrics/index.ts";
export * from "./models/classic/index.ts";
export * from "./models/clip-surgery/index.ts";
export * from "./models/embedding-cache.ts";
export * from "./models/manifest/index.ts";
export * from "./models/onnx-sam/index.ts";
export * from "./models/ports.ts";
export * from "./pipeline/index.ts";
export * from "./policy/index.ts";
export * from "./tasks/registry.ts";
export * from "./util/random.ts";
