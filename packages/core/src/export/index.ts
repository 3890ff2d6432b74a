/** Exports that annotation tools read: COCO instances documents and mask <-> polygon conversion. */
export * from "./coco.ts";
export * from "./polygons.ts";
