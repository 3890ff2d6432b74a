/**
 * The self-contained HTML evaluation report: one file, inline CSS, plots as inline SVG, pictures as
 * data: URIs, and no external resource at all, so it opens from a mail attachment or an S3
 * presigned URL exactly as it was written. Per task: the comparison table (AlignSAM, ablations,
 * baselines, rules), the BASELINES.md floors, mIoU against T, a histogram of per-image IoU and the
 * best / median / worst gallery.
 */
import { formatMetric, higherIsBetter, metricHeader } from "../report.ts";
import { galleryHtml } from "./gallery-html.ts";
import { escapeHtml } from "./markup.ts";
import type { HtmlReport, MethodRow, TaskSection } from "./report-model.ts";
import { histogramSvg, lineChartSvg } from "./svg-plots.ts";

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--accent:#0072B2;--best:#e7f3ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--line:#3d444d;--bg:#0d1117;--best:#12304a}}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);max-width:1100px;margin:0 auto;padding:1.5rem}
h1{font-size:1.7rem;margin:.2rem 0}h2{border-bottom:1px solid var(--line);padding-bottom:.3rem;margin-top:2.5rem}
.meta,.note,figcaption{color:var(--muted);font-size:.9rem}
table{border-collapse:collapse;margin:.8rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid var(--line);padding:.25rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}
thead th{background:color-mix(in srgb,var(--line) 35%,transparent)}
td.best{font-weight:700;background:var(--best)}table.cases td,table.cases th{text-align:left}tr.rule td{color:var(--muted)}
.plots{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}.plots figure{margin:0;max-width:480px}
svg.plot{max-width:100%;height:auto;font-size:11px}
svg.plot .grid{stroke:var(--line);stroke-width:1}svg.plot .axis{stroke:var(--muted);stroke-width:1}
svg.plot text{fill:var(--fg)}svg.plot .tick,svg.plot .legend{font-size:10px}svg.plot .label{font-size:12px}
.case{margin:1rem 0}.case h4{margin:.3rem 0;font-weight:600}.panels{display:flex;gap:.6rem;flex-wrap:wrap}
.panel{margin:0}.thumb{display:block;border:1px solid var(--line)}
.click-number{font:bold 7.5px system-ui,sans-serif;fill:#fff;stroke:#111;stroke-width:2px;paint-order:stroke}
.case-metric{font-weight:400;color:var(--muted);margin-left:.5rem}.pos{color:#1a9e1a;font-weight:700}.neg{color:#d02020;font-weight:700}
code{font-size:.9em}nav a{margin-right:.8rem}
`;

/** The comparison table: one row per method, best value of each column marked. */
function methodsTable(methods: readonly MethodRow[], metrics: readonly string[]): string {
  const best = new Map<string, string>();
  for (const m of metrics) {
    const values = methods
      .map((r) => r.metrics[m])
      .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    if (values.length > 1) {
      best.set(m, formatMetric(m, higherIsBetter(m) ? Math.max(...values) : Math.min(...values)));
    }
  }
  const head = `<tr><th>method</th>${metrics.map((m) => `<th>${escapeHtml(metricHeader(m))}</th>`).join("")}<th>images</th><th>ms / image</th></tr>`;
  const rows = methods.map((r) => {
    const cells = metrics.map((m) => {
      const v = r.metrics[m];
      const text = formatMetric(m, v ?? undefined);
      const cls = best.get(m) === text ? ' class="best"' : "";
      return `<td data-metric="${escapeHtml(m)}" data-value="${v ?? ""}"${cls}>${text}</td>`;
    });
    const ms =
      typeof r.msPerImage === "number" && Number.isFinite(r.msPerImage)
        ? r.msPerImage.toFixed(r.msPerImage < 10 ? 1 : 0)
        : "n/a";
    const title = r.description ? ` title="${escapeHtml(r.description)}"` : "";
    const cls = r.name.startsWith("rule: ") ? ' class="rule"' : "";
    return `<tr${cls} data-method="${escapeHtml(r.name)}"><td${title}>${escapeHtml(r.name)}</td>${cells.join("")}<td>${r.images}</td><td>${ms}</td></tr>`;
  });
  return `<table class="methods" data-section="methods"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>`;
}

function floorsTable(section: TaskSection): string {
  if (section.floors.length === 0) return "";
  const f = (metric: string, v: number | undefined) =>
    v === undefined ? "n/a" : metric === "MAE" ? v.toFixed(3) : v.toFixed(1);
  const rows = section.floors
    .map(
      (c) =>
        `<tr data-rule="${escapeHtml(c.rule)}" data-metric="${escapeHtml(c.metric)}"><td>${escapeHtml(c.rule)}</td><td>${escapeHtml(c.metric)}</td>` +
        `<td data-value="${c.reference}">${f(c.metric, c.reference)}</td><td data-value="${c.measured ?? ""}">${f(c.metric, c.measured)}</td><td>${c.images ?? "n/a"}</td></tr>`,
    )
    .join("");
  return (
    `<h3>Floors (BASELINES.md)</h3><p class="note">Training-free rules on every pair of the dataset folder (per-image mean; IoU and BER in percent): a method that does not beat them has learned nothing the rule does not already know.</p>` +
    `<table class="floors" data-section="floors"><thead><tr><th>rule</th><th>metric</th><th>BASELINES.md</th><th>this run</th><th>images</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

/** The per-class table, folded: voc has 20 rows. */
function perClassTable(section: TaskSection): string {
  const t = section.perClass;
  if (!t) return "";
  const head = `<tr><th>class</th><th>images</th>${t.methods.map((m) => `<th>${escapeHtml(m)}</th>`).join("")}</tr>`;
  const rows = t.classes
    .map(
      (c) =>
        `<tr data-class="${escapeHtml(c.name)}"><td>${escapeHtml(c.name)}</td><td>${c.images}</td>` +
        c.values
          .map((v) => `<td data-value="${v ?? ""}">${formatMetric(t.metric, v ?? undefined)}</td>`)
          .join("") +
        "</tr>",
    )
    .join("");
  return (
    `<details><summary>Per-class ${escapeHtml(t.metric)}</summary>` +
    `<table class="per-class" data-section="per-class"><thead>${head}</thead><tbody>${rows}</tbody></table></details>`
  );
}

function sweepFigure(section: TaskSection, index: number): string {
  const points = section.sweep
    .filter((s) => typeof s.mIoU === "number")
    .map((s) => ({ x: s.steps, y: 100 * (s.mIoU as number) }));
  if (points.length === 0) {
    return `<figure data-section="sweep"><p class="note">mIoU against T was not measured in this run.</p></figure>`;
  }
  const svg = lineChartSvg({
    id: `sweep-${index}`,
    title: `${section.task}: mIoU against the number of clicks T`,
    xLabel: "T (clicks)",
    yLabel: "mIoU (%)",
    series: [{ name: section.histogramMethod, points }],
    references: (section.sweepReferences ?? []).map((r) => ({ name: r.name, y: 100 * r.mIoU })),
    yDomain: [0, 100],
  });
  const table =
    `<table class="sweep"><thead><tr><th>T</th>${section.sweep.map((s) => `<th>${s.steps}</th>`).join("")}</tr></thead>` +
    `<tbody><tr><td>mIoU</td>${section.sweep.map((s) => `<td data-steps="${s.steps}" data-value="${s.mIoU ?? ""}">${formatMetric("mIoU", s.mIoU ?? undefined)}</td>`).join("")}</tr></tbody></table>`;
  return `<figure data-section="sweep">${svg}<figcaption>mIoU after T clicks (paper Table 5): one greedy episode per image, mask read after each step.</figcaption>${table}</figure>`;
}

function curveFigure(section: TaskSection, index: number): string {
  const c = section.curves;
  if (!c || c.series.length === 0) return "";
  const svg = lineChartSvg({
    id: `curve-${index}`,
    title: `${section.task}: held-out mean IoU against PPO updates`,
    xLabel: "PPO updates",
    yLabel: "mean IoU (%)",
    series: c.series.map((x) => ({
      name: x.name,
      points: x.points.map((p) => ({ x: p.update, y: 100 * p.iou })),
    })),
    references: Number.isFinite(c.randomClicks) ? [{ name: "random clicks", y: 100 * c.randomClicks }] : [],
    yDomain: [0, 100],
  });
  return `<figure data-section="curve">${svg}<figcaption>Learning curve recorded while training the policy: greedy agent on ${c.images} held-out images.</figcaption></figure>`;
}

function histogramFigure(section: TaskSection, index: number): string {
  const values = section.perImage.map((r) => r.metrics.mIoU).filter((v): v is number => Number.isFinite(v));
  const svg = histogramSvg({
    id: `hist-${index}`,
    title: `${section.task}: IoU per image of ${section.histogramMethod}`,
    xLabel: "IoU (%)",
    values,
    bins: 10,
    domain: [0, 1],
    displayScale: 100,
  });
  return `<figure data-section="histogram" data-images="${values.length}">${svg}<figcaption>Per-image IoU of ${escapeHtml(section.histogramMethod)}, ${values.length} images.</figcaption></figure>`;
}

function taskHtml(section: TaskSection, index: number, regenerate?: string): string {
  const parts = [
    `<section class="task" id="task-${escapeHtml(section.task)}" data-task="${escapeHtml(section.task)}">`,
    `<h2>${escapeHtml(section.task)}${section.dataset && section.dataset !== section.task ? ` <small>(${escapeHtml(section.dataset)})</small>` : ""}</h2>`,
    ...section.facts.map((f) => `<p>${escapeHtml(f)}</p>`),
    methodsTable(section.methods, section.metrics),
  ];
  if (section.verdicts.length > 0) {
    parts.push(
      `<ul class="verdicts">${section.verdicts.map((v) => `<li>${escapeHtml(v)}</li>`).join("")}</ul>`,
    );
  }
  parts.push(perClassTable(section));
  parts.push(floorsTable(section));
  parts.push(
    `<div class="plots">${sweepFigure(section, index)}${curveFigure(section, index)}${histogramFigure(section, index)}</div>`,
  );
  parts.push(
    galleryHtml(
      section.gallery.cases,
      section.gallery.mode,
      section.metrics,
      section.histogramMethod,
      regenerate,
    ),
  );
  for (const n of section.notes) parts.push(`<p class="note">${escapeHtml(n)}</p>`);
  parts.push("</section>");
  return parts.join("\n");
}

/**
 * The whole page as one string. Deterministic: the same report gives the same bytes, so a committed
 * copy only changes when its numbers do.
 * @example await writeText("report.html", renderHtmlReport(report));
 */
export function renderHtmlReport(report: HtmlReport): string {
  const nav =
    report.sections.length > 1
      ? `<nav>${report.sections.map((s) => `<a href="#task-${escapeHtml(s.task)}">${escapeHtml(s.task)}</a>`).join("")}</nav>`
      : "";
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="alignsam evaluation/html">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${CSS.trim()}</style>`,
    "</head>",
    "<body>",
    `<header><h1>${escapeHtml(report.title)}</h1>${report.preamble.map((l) => `<p class="meta">${escapeHtml(l)}</p>`).join("")}${nav}</header>`,
    "<main>",
    ...report.sections.map((s, i) => taskHtml(s, i, report.regenerate)),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
