/** The worker as a library: configuration, the consumer, the dispatcher and the engine port. */
export * from "./config.ts";
export * from "./context.ts";
export { createCoreEngine } from "./core-engine.ts";
export * from "./dispatch.ts";
export * from "./engine.ts";
export * from "./storage.ts";
export * from "./worker.ts";
