export * from "./describe.ts";
export * from "./loader.ts";
export * from "./pair.ts";
export * from "./root.ts";
export * from "./split.ts";
