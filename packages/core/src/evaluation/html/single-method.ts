/**
 * A report for one policy alone, as `alignsam eval` and the worker's evaluation job produce: one
 * table row, the per-image histogram, the gallery, and the BASELINES.md floors when the images are
 * the reference dataset's. There is no T sweep (those runs do not measure it); the section says so.
 */
import { BASELINES_REFERENCE } from "../suite.ts";
import type {
  FloorRow,
  GalleryCase,
  GalleryMode,
  HtmlReport,
  MethodRow,
  TaskSection,
} from "./report-model.ts";

export interface SingleMethodInput {
  readonly task: string;
  readonly dataset?: string;
  readonly metrics: readonly string[];
  readonly row: MethodRow;
  readonly perImage: readonly { readonly id: string; readonly metrics: Readonly<Record<string, number>> }[];
  readonly gallery: { readonly mode: GalleryMode; readonly cases: readonly GalleryCase[] };
  readonly facts?: readonly string[];
  readonly notes?: readonly string[];
}

/** BASELINES.md's floors of a reference dataset (reference values only; none for other data). */
export function referenceFloors(dataset: string | undefined): FloorRow[] {
  return (dataset ? (BASELINES_REFERENCE[dataset] ?? []) : []).map((r) => ({
    rule: r.rule,
    metric: r.metric,
    reference: r.value,
  }));
}

/**
 * The section of a one-policy report.
 * @example singleMethodSection({ task: "glass", metrics: ["mIoU"], row, perImage, gallery: { mode: "none", cases: [] } })
 */
export function singleMethodSection(o: SingleMethodInput): TaskSection {
  return {
    task: o.task,
    ...(o.dataset !== undefined ? { dataset: o.dataset } : {}),
    facts: o.facts ?? [],
    metrics: o.metrics,
    methods: [o.row],
    floors: referenceFloors(o.dataset),
    sweep: [],
    histogramMethod: o.row.name,
    perImage: o.perImage,
    gallery: o.gallery,
    verdicts: [],
    notes: o.notes ?? [],
  };
}

/** A one-section page. */
export function singleSectionReport(
  title: string,
  preamble: readonly string[],
  section: TaskSection,
  regenerate?: string,
): HtmlReport {
  return { title, preamble, ...(regenerate ? { regenerate } : {}), sections: [section] };
}
