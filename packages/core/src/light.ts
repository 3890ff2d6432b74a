/**
 * The light face of @alignsam/core: schemas, the task registry and errors, with no model runtime
 * imported, for the API bundle.
 */
export * from "./errors.ts";
export * from "./jobs/index.ts";
// Pure data (imports only ../errors.ts): the API checks voc class names before accepting a job.
export { CLASS_SYNONYMS, COCO_CLASSES, cocoClassOf } from "./models/centernet/vocabulary.ts";
export { PAPER_DEFAULTS, STEPS_RANGE, TRAINING_DEFAULTS } from "./pipeline/defaults.ts";
export * from "./tasks/registry.ts";
export * from "./util/env-config.ts";
