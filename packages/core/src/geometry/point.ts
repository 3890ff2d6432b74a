/**
 * A point prompt and its label: the smallest shared vocabulary of image/, mask/, models/ and the
 * algorithm. A leaf module (imports nothing), so any folder may use it without an import loop.
 */

/** A point prompt in original-image pixel coordinates (x right, y down; pixel centres at +0.5 not assumed). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** 1 = positive (foreground) click, 0 = negative (background) click. */
export type PointLabel = 0 | 1;
