/**
 * What the HTML report shows, independent of who produced the numbers: the benchmark script
 * (many methods, T sweep, rule floors), `alignsam eval` (one policy) and the worker's evaluation job
 * (one policy, per-image documents) each fill this model and hand it to renderHtmlReport.
 */
import { AlignSamError } from "../../errors.ts";

/**
 * How the gallery shows its cases. Dataset images and masks may not be redistributed, so only
 * reports written to the user's own folder or bucket carry pixels; the copy committed under docs/
 * uses "none" (ids and metrics, no pixels).
 * - "images": image | ground truth | prediction with the clicks drawn
 * - "masks-only": ground truth | prediction masks without the photo (still derived from the dataset)
 * - "none": the cases' ids and metrics only
 */
export const GALLERY_MODES = ["images", "masks-only", "none"] as const;
export type GalleryMode = (typeof GALLERY_MODES)[number];

/** A gallery mode from a flag or a message, refused with the valid values when unknown. */
export function parseGalleryMode(value: string): GalleryMode {
  if ((GALLERY_MODES as readonly string[]).includes(value)) return value as GalleryMode;
  throw new AlignSamError(
    "INVALID_ARGUMENT",
    `unknown gallery mode "${value}"; expected one of: ${GALLERY_MODES.join(", ")}`,
    { valid: [...GALLERY_MODES] },
  );
}

/** Which end of the per-image distribution a gallery case comes from. */
export type GalleryRank = "best" | "median" | "worst";

/** A click as drawn on a thumbnail: thumbnail pixel coordinates, its step number (0 = initial prompt), 1 positive / 0 negative. */
export interface ThumbnailClick {
  readonly x: number;
  readonly y: number;
  readonly label: 0 | 1;
  readonly order: number;
}

/** The pictures of one gallery case, as data: URIs sized to the thumbnail. */
export interface GalleryPanels {
  readonly width: number;
  readonly height: number;
  /** The photo; absent in "masks-only". */
  readonly image?: string;
  readonly truth: string;
  /** The prediction (over the photo in "images", alone in "masks-only"); clicks are drawn on top. */
  readonly prediction: string;
  readonly clicks: readonly ThumbnailClick[];
}

export interface GalleryCase {
  readonly rank: GalleryRank;
  readonly id: string;
  /** The case's per-image metrics (the report's histogram metric among them). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly panels?: GalleryPanels;
}

/** One row of the comparison table. */
export interface MethodRow {
  readonly name: string;
  readonly description?: string;
  readonly images: number;
  /** Keyed by metric name, raw units (IoU/F/E fractions, MAE fraction, BER percent); null = n/a. */
  readonly metrics: Readonly<Record<string, number | null | undefined>>;
  readonly msPerImage?: number | null;
}

/** A BASELINES.md floor: the reference value and, when re-measured, this run's. */
export interface FloorRow {
  readonly rule: string;
  readonly metric: string;
  /** Percent for IoU/BER, fraction for MAE (as BASELINES.md prints it). */
  readonly reference: number;
  readonly measured?: number;
  readonly images?: number;
}

export interface TaskSection {
  readonly task: string;
  readonly dataset?: string;
  /** Sentences under the heading (split sizes, policy, timing). */
  readonly facts: readonly string[];
  /** Metric columns, in the task's order. */
  readonly metrics: readonly string[];
  readonly methods: readonly MethodRow[];
  readonly floors: readonly FloorRow[];
  /** mIoU (fraction) after T clicks; empty when not measured. */
  readonly sweep: readonly { readonly steps: number; readonly mIoU: number | null }[];
  /** Single-number references drawn across the T plot (e.g. the centre click), mIoU fractions. */
  readonly sweepReferences?: readonly { readonly name: string; readonly mIoU: number }[];
  /** Whose per-image values the histogram and gallery use, e.g. "AlignSAM". */
  readonly histogramMethod: string;
  /** That method's per-image records. */
  readonly perImage: readonly { readonly id: string; readonly metrics: Readonly<Record<string, number>> }[];
  readonly gallery: { readonly mode: GalleryMode; readonly cases: readonly GalleryCase[] };
  readonly verdicts: readonly string[];
  readonly notes: readonly string[];
  /** Per-class means of one metric (class-prompted tasks such as voc); absent otherwise. */
  readonly perClass?: PerClassTable;
  /** Held-out mean IoU (fraction) against PPO updates, per actor start, and random clicks for scale. */
  readonly curves?: {
    readonly images: number;
    readonly randomClicks: number;
    readonly series: readonly {
      readonly name: string;
      readonly points: readonly { readonly update: number; readonly iou: number }[];
    }[];
  };
}

/** Rows are classes, columns methods; values in the metric's raw units, null = n/a. */
export interface PerClassTable {
  readonly metric: string;
  readonly methods: readonly string[];
  readonly classes: readonly {
    readonly name: string;
    readonly images: number;
    readonly values: readonly (number | null)[];
  }[];
}

export interface HtmlReport {
  readonly title: string;
  /** Lines under the title: command, machine, settings. */
  readonly preamble: readonly string[];
  /** How to regenerate the page with gallery images locally (shown when the gallery has none). */
  readonly regenerate?: string;
  readonly sections: readonly TaskSection[];
}
