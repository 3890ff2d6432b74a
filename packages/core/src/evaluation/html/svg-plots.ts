/**
 * Plain SVG plots for the HTML report: a line chart (metric against T, the paper's Table 5) and a
 * histogram (per-image IoU). Written by hand because they are two small pictures and a plotting
 * library would pull a browser or a canvas into a Node report writer. Every plot carries a <title>
 * and <desc> for screen readers, axes with ticks and labels, and the plotted numbers as data-*
 * attributes so tests (and curious readers) can check them against the JSON they came from.
 */
import { coord, escapeHtml } from "./markup.ts";

/** Plot area inside the SVG box, in user units. */
const WIDTH = 480;
const HEIGHT = 300;
const MARGIN = { top: 20, right: 20, bottom: 48, left: 56 };
const INNER_W = WIDTH - MARGIN.left - MARGIN.right;
const INNER_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** Colours that stay apart for common colour-vision deficiencies (Okabe-Ito). */
export const SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"] as const;

/**
 * About `count` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of ten),
 * so axes read 0, 20, 40 rather than 0, 17.3, 34.6.
 * @example niceTicks(0, 100, 5) // [0, 20, 40, 60, 80, 100]
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Math.round(v / step) * step);
  }
  return ticks.map((t) => Number(t.toPrecision(12)));
}

/** A linear map from a data interval onto a pixel interval. */
function scale(domain: readonly [number, number], range: readonly [number, number]) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Tick text: integers as they are, others with up to two decimals. */
function tickText(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

interface Axes {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
  readonly markup: string;
}

/** Frame, gridlines, ticks and axis labels shared by both plots. */
function axes(
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
  xTicks: readonly number[],
  labels: { x: string; y: string },
  integerY = false,
): Axes {
  const x = scale(xDomain, [MARGIN.left, MARGIN.left + INNER_W]);
  const y = scale(yDomain, [MARGIN.top + INNER_H, MARGIN.top]);
  const bottom = MARGIN.top + INNER_H;
  const parts: string[] = [];
  // Counts are whole: no "0.5 images" tick.
  for (const t of niceTicks(yDomain[0], yDomain[1], 5).filter((v) => !integerY || Number.isInteger(v))) {
    parts.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + INNER_W}" y1="${coord(y(t))}" y2="${coord(y(t))}"/>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${coord(y(t) + 4)}" text-anchor="end">${tickText(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    parts.push(
      `<line class="axis" x1="${coord(x(t))}" x2="${coord(x(t))}" y1="${bottom}" y2="${bottom + 5}"/>`,
      `<text class="tick" x="${coord(x(t))}" y="${bottom + 18}" text-anchor="middle">${tickText(t)}</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + INNER_W}" y1="${bottom}" y2="${bottom}"/>`,
    `<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${bottom}"/>`,
    `<text class="label" x="${MARGIN.left + INNER_W / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(labels.x)}</text>`,
    `<text class="label" x="14" y="${MARGIN.top + INNER_H / 2}" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + INNER_H / 2})">${escapeHtml(labels.y)}</text>`,
  );
  return { x, y, markup: parts.join("") };
}

/** The <svg> element around a plot, labelled for assistive technology. */
function svgFrame(id: string, title: string, description: string, body: string, kind: string): string {
  return (
    `<svg class="plot" data-plot="${kind}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" ` +
    `role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(description)}</desc>` +
    `${body}</svg>`
  );
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface LineChartOptions {
  /** Unique within the page: prefixes the ids of <title> and <desc>. */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Horizontal dashed lines for single-number references (e.g. a baseline's score). */
  readonly references?: readonly { readonly name: string; readonly y: number }[];
  /** @default [0, max of the data rounded up to a tick] */
  readonly yDomain?: readonly [number, number];
  /** Formats a y value for the point's tooltip. @default two decimals */
  readonly format?: (y: number) => string;
}

/**
 * A line chart with markers at the data points and a legend. Non-finite points are left out (a
 * gap, not a zero), so a missing measurement never draws as a collapse.
 * @example lineChartSvg({ id: "t", title: "mIoU vs T", xLabel: "T", yLabel: "mIoU (%)", series: [{ name: "AlignSAM", points: [{ x: 1, y: 40 }, { x: 5, y: 52 }] }] })
 */
export function lineChartSvg(o: LineChartOptions): string {
  const fmt = o.format ?? ((v: number) => v.toFixed(2));
  const finite = o.series.map((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  const xs = finite.flat().map((p) => p.x);
  const ys = [...finite.flat().map((p) => p.y), ...(o.references ?? []).map((r) => r.y)].filter(
    Number.isFinite,
  );
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yTop = ys.length ? Math.max(...ys) : 1;
  const yDomain = o.yDomain ?? ([0, niceTicks(0, yTop || 1, 5).at(-1) ?? 1] as const);
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const a = axes([xMin, xMax === xMin ? xMin + 1 : xMax], yDomain, xTicks, { x: o.xLabel, y: o.yLabel });
  const parts = [a.markup];
  for (const [i, r] of (o.references ?? []).entries()) {
    if (!Number.isFinite(r.y)) continue;
    const colour = SERIES_COLOURS[(o.series.length + i) % SERIES_COLOURS.length];
    parts.push(
      `<g class="reference" data-name="${escapeHtml(r.name)}" data-y="${r.y}">` +
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + INNER_W}" y1="${coord(a.y(r.y))}" y2="${coord(a.y(r.y))}" stroke="${colour}" stroke-dasharray="5 4"/>` +
        `<title>${escapeHtml(r.name)}: ${escapeHtml(fmt(r.y))}</title></g>`,
    );
  }
  for (const [i, s] of o.series.entries()) {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    const pts = finite[i];
    const path = pts.map((p) => `${coord(a.x(p.x))},${coord(a.y(p.y))}`).join(" ");
    parts.push(`<g class="series" data-name="${escapeHtml(s.name)}">`);
    if (pts.length > 1)
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>`);
    for (const p of pts) {
      parts.push(
        `<circle cx="${coord(a.x(p.x))}" cy="${coord(a.y(p.y))}" r="4" fill="${colour}" data-x="${p.x}" data-y="${p.y}">` +
          `<title>${escapeHtml(s.name)}, ${escapeHtml(o.xLabel)} = ${p.x}: ${escapeHtml(fmt(p.y))}</title></circle>`,
      );
    }
    parts.push("</g>");
  }
  const legend = [
    ...o.series.map((s, i) => ({
      name: s.name,
      colour: SERIES_COLOURS[i % SERIES_COLOURS.length],
      dash: "",
    })),
    ...(o.references ?? []).map((r, i) => ({
      name: r.name,
      colour: SERIES_COLOURS[(o.series.length + i) % SERIES_COLOURS.length],
      dash: ' stroke-dasharray="5 4"',
    })),
  ];
  legend.forEach((l, i) => {
    const ly = MARGIN.top + 8 + i * 16;
    const lx = MARGIN.left + INNER_W - 170;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${l.colour}" stroke-width="2"${l.dash}/>`,
      `<text class="legend" x="${lx + 24}" y="${ly + 4}">${escapeHtml(l.name)}</text>`,
    );
  });
  const description = o.series
    .map((s) => `${s.name}: ${s.points.map((p) => `${o.xLabel} = ${p.x}: ${fmt(p.y)}`).join(", ")}`)
    .join("; ");
  return svgFrame(o.id, o.title, description, parts.join(""), "line");
}

/** One bar of a histogram: values in [lo, hi) (the last bin also takes hi). */
export interface HistogramBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/**
 * Counts finite values into `bins` equal bins over `domain`; values outside are clamped into the
 * end bins so that every image is counted once.
 * @example binValues([0.1, 0.95, 1], 10, [0, 1]).map((b) => b.count) // [0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
 */
export function binValues(
  values: readonly number[],
  bins: number,
  domain: readonly [number, number],
): HistogramBin[] {
  const [lo, hi] = domain;
  const width = (hi - lo) / bins;
  const out = Array.from({ length: bins }, (_, i) => ({
    lo: lo + i * width,
    hi: i === bins - 1 ? hi : lo + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const i = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    out[i].count++;
  }
  return out;
}

export interface HistogramOptions {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  /** @default "images" */
  readonly yLabel?: string;
  readonly values: readonly number[];
  /** @default 10 */
  readonly bins?: number;
  /** @default [0, 1] */
  readonly domain?: readonly [number, number];
  /** Scales the bin edges for the axis and tooltips (e.g. 100 to show IoU in percent). @default 1 */
  readonly displayScale?: number;
}

/**
 * A histogram of per-image values, one <rect> per bin with its count in data-count and a tooltip.
 * @example histogramSvg({ id: "h", title: "IoU per image", xLabel: "IoU (%)", values: [0.2, 0.8], displayScale: 100 })
 */
export function histogramSvg(o: HistogramOptions): string {
  const domain = o.domain ?? [0, 1];
  const k = o.displayScale ?? 1;
  const bins = binValues(o.values, o.bins ?? 10, domain);
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const yTop = niceTicks(0, maxCount, Math.min(5, maxCount)).at(-1) ?? maxCount;
  const xTicks = [bins[0].lo, ...bins.map((b) => b.hi)].map((v) => v * k);
  const a = axes(
    [domain[0] * k, domain[1] * k],
    [0, Math.max(yTop, maxCount)],
    xTicks,
    { x: o.xLabel, y: o.yLabel ?? "images" },
    true,
  );
  const parts = [a.markup];
  for (const b of bins) {
    const x0 = a.x(b.lo * k) + 1;
    const x1 = a.x(b.hi * k) - 1;
    const y = a.y(b.count);
    parts.push(
      `<rect class="bar" x="${coord(x0)}" y="${coord(y)}" width="${coord(Math.max(0, x1 - x0))}" height="${coord(a.y(0) - y)}" ` +
        `data-lo="${b.lo}" data-hi="${b.hi}" data-count="${b.count}" fill="${SERIES_COLOURS[0]}">` +
        `<title>${tickText(b.lo * k)} to ${tickText(b.hi * k)}: ${b.count} image${b.count === 1 ? "" : "s"}</title></rect>`,
    );
  }
  const total = bins.reduce((n, b) => n + b.count, 0);
  const description = `${total} images; ${bins.map((b) => `${tickText(b.lo * k)} to ${tickText(b.hi * k)}: ${b.count}`).join(", ")}`;
  return svgFrame(o.id, o.title, description, parts.join(""), "histogram");
}
