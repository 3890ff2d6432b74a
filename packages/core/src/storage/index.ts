/**
 * Storage: the blob-store port, its S3 and filesystem adapters, the one S3 client factory and the
 * one error classification and retry policy. Light: imports no model runtime, for the API bundle.
 */
export * from "./blob-store.ts";
export * from "./errors.ts";
export * from "./fs-store.ts";
export * from "./open.ts";
export * from "./retry.ts";
export * from "./s3-client.ts";
export * from "./s3-store.ts";
export * from "./s3-uri.ts";
