/**
 * Evaluation: the BASELINES.md rules, segmenter baselines, AlignSAM methods, the streaming runner,
 * paired comparisons and report writers (Markdown, JSON and the self-contained HTML report).
 */
export * from "./alignsam-methods.ts";
export * from "./baselines.ts";
export * from "./caching-segmenter.ts";
export * from "./compare.ts";
export * from "./evaluate.ts";
export * from "./evaluation-doc.ts";
export * from "./filters.ts";
export * from "./html/index.ts";
export * from "./policy-source.ts";
export * from "./report.ts";
export * from "./segmenter-baselines.ts";
export * from "./suite.ts";
export * from "./task-pairs.ts";
