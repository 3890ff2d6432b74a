export * from "./checksum.ts";
export * from "./inspect.ts";
export * from "./load.ts";
export * from "./schema.ts";
export * from "./session.ts";
export * from "./tensors.ts";
