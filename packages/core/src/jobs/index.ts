/** Contracts shared by the API and the worker: queue messages, documents, S3 keys, signatures. */
export * from "./api-keys.ts";
export * from "./batch.ts";
export * from "./callback-address.ts";
export * from "./dataset-upload.ts";
export * from "./evaluation.ts";
export * from "./keys.ts";
export * from "./messages.ts";
export * from "./policy.ts";
export * from "./promotion-guard.ts";
export * from "./segment-results.ts";
export * from "./shards.ts";
export * from "./signature.ts";
export * from "./split.ts";
export * from "./status.ts";
export * from "./tenant-policies.ts";
export * from "./usage.ts";
