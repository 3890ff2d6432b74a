/**
 * The self-contained HTML evaluation report: model, SVG plots, gallery and page renderer, and the
 * adapter from the benchmark's saved results.
 */
export * from "./from-evaluation.ts";
export * from "./gallery.ts";
export * from "./gallery-html.ts";
export * from "./html-report.ts";
export * from "./policy-gallery.ts";
export * from "./report-model.ts";
export * from "./single-method.ts";
export * from "./svg-plots.ts";
