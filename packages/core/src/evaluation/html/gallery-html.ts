/**
 * The gallery section of the HTML report: per case, photo | ground truth | prediction with the
 * clicks as numbered + / − markers in SVG over the prediction thumbnail; or, without pixels, a table
 * of the cases' ids and metrics with a note on why the pictures are absent.
 */
import { formatMetric } from "../report.ts";
import { coord, escapeHtml } from "./markup.ts";
import type { GalleryCase, GalleryMode, GalleryPanels, ThumbnailClick } from "./report-model.ts";

/** Why a report has no gallery pictures, shown in every "none" gallery. */
export const LICENCE_NOTE =
  "Images are omitted: the datasets' research-only licences forbid redistributing their images and " +
  "masks, or pictures derived from them, so this copy lists the cases by id and metric only.";

/** Shown when pictures were asked for but could not be drawn (an image gone or unreadable). */
export const MISSING_PICTURES_NOTE =
  "The pictures of these cases could not be drawn (an image or mask could not be read); the ids and metrics are listed instead.";

/** A + (positive, green) or − (negative, red) marker with its click number beside it. */
function marker(c: ThumbnailClick): string {
  const r = 3.5;
  const colour = c.label === 1 ? "#28dc28" : "#e62828";
  const arms =
    c.label === 1
      ? `M${coord(c.x - r)} ${coord(c.y)}H${coord(c.x + r)}M${coord(c.x)} ${coord(c.y - r)}V${coord(c.y + r)}`
      : `M${coord(c.x - r)} ${coord(c.y)}H${coord(c.x + r)}`;
  return (
    `<g class="click" data-order="${c.order}" data-label="${c.label}">` +
    `<title>${c.order === 0 ? "initial prompt" : `click ${c.order}`}: ${c.label === 1 ? "positive" : "negative"}</title>` +
    `<path d="${arms}" stroke="#111" stroke-width="3.5" stroke-linecap="square"/>` +
    `<path d="${arms}" stroke="${colour}" stroke-width="1.8" stroke-linecap="square"/>` +
    `<text x="${coord(c.x + r + 1)}" y="${coord(c.y - 1.5)}" class="click-number">${c.order}</text></g>`
  );
}

/** One thumbnail as an <img>, or as an <svg> with the clicks drawn over it. */
function panel(label: string, uri: string, p: GalleryPanels, clicks?: readonly ThumbnailClick[]): string {
  const alt = escapeHtml(label);
  const body = clicks
    ? `<svg class="thumb" viewBox="0 0 ${p.width} ${p.height}" width="${p.width}" height="${p.height}" role="img" aria-label="${alt}" xmlns="http://www.w3.org/2000/svg">` +
      `<title>${alt}</title><image href="${uri}" width="${p.width}" height="${p.height}"/>${clicks.map(marker).join("")}</svg>`
    : `<img class="thumb" src="${uri}" width="${p.width}" height="${p.height}" alt="${alt}">`;
  return `<figure class="panel">${body}<figcaption>${alt}</figcaption></figure>`;
}

function metricList(metrics: readonly string[], values: Readonly<Record<string, number>>): string {
  return metrics
    .filter((m) => values[m] !== undefined)
    .map(
      (m) =>
        `<span class="case-metric" data-metric="${escapeHtml(m)}" data-value="${values[m]}">${escapeHtml(m)} ${formatMetric(m, values[m])}</span>`,
    )
    .join(" ");
}

/**
 * The gallery as HTML. `regenerate` is the command that writes a copy with pictures, shown with
 * the licence note when the mode is "none".
 */
export function galleryHtml(
  cases: readonly GalleryCase[],
  mode: GalleryMode,
  metrics: readonly string[],
  method: string,
  regenerate?: string,
): string {
  const intro = `<p>${escapeHtml(method)}'s best, median and worst test images by per-image ${escapeHtml(metrics[0] ?? "score")}.</p>`;
  if (cases.length === 0) {
    return `<section class="gallery" data-section="gallery" data-mode="${mode}"><h3>Gallery</h3><p>No scored images.</p></section>`;
  }
  if (mode === "none" || cases.every((c) => !c.panels)) {
    const rows = cases
      .map(
        (c) =>
          `<tr data-rank="${c.rank}" data-id="${escapeHtml(c.id)}"><td>${c.rank}</td><td><code>${escapeHtml(c.id)}</code></td>` +
          `<td>${metricList(metrics, c.metrics)}</td></tr>`,
      )
      .join("");
    const how = regenerate
      ? ` To see them, regenerate the report locally with pictures: <code>${escapeHtml(regenerate)}</code>.`
      : "";
    const note =
      mode === "none"
        ? `<p class="note licence">${escapeHtml(LICENCE_NOTE)}${how}</p>`
        : `<p class="note">${escapeHtml(MISSING_PICTURES_NOTE)}</p>`;
    return (
      `<section class="gallery" data-section="gallery" data-mode="none"><h3>Gallery</h3>${intro}` +
      `<table class="cases"><thead><tr><th>case</th><th>image id</th><th>metrics</th></tr></thead><tbody>${rows}</tbody></table>` +
      `${note}</section>`
    );
  }
  const items = cases.map((c) => {
    const p = c.panels;
    const pictures = p
      ? [
          p.image ? panel("image", p.image, p) : "",
          panel("ground truth", p.truth, p),
          panel(`prediction, ${p.clicks.length} prompts`, p.prediction, p, p.clicks),
        ].join("")
      : "<p>(no pictures)</p>";
    return (
      `<div class="case" data-rank="${c.rank}" data-id="${escapeHtml(c.id)}">` +
      `<h4>${c.rank}: <code>${escapeHtml(c.id)}</code> ${metricList(metrics, c.metrics)}</h4>` +
      `<div class="panels">${pictures}</div></div>`
    );
  });
  return (
    `<section class="gallery" data-section="gallery" data-mode="${mode}"><h3>Gallery</h3>${intro}` +
    `<p class="legend-text">Prompts numbered by step (0: the initial prompts P<sub>0</sub>): <span class="pos">+</span> positive, <span class="neg">−</span> negative.</p>` +
    `${items.join("")}</section>`
  );
}
