import { describe, expect, it } from "vitest";
import { LICENCE_NOTE, MISSING_PICTURES_NOTE } from "./gallery-html.ts";
import { renderHtmlReport } from "./html-report.ts";
import { escapeHtml } from "./markup.ts";
import type { HtmlReport, TaskSection } from "./report-model.ts";

const PIXEL = "data:image/png;base64,iVBORw0KGgo=";

function section(overrides: Partial<TaskSection> = {}): TaskSection {
  return {
    task: "glass",
    dataset: "glass",
    facts: ["3 test images."],
    metrics: ["mIoU", "MAE"],
    methods: [
      { name: "AlignSAM", images: 3, metrics: { mIoU: 0.5, MAE: 0.2 }, msPerImage: 120 },
      { name: "rule: everything", images: 3, metrics: { mIoU: 0.6, MAE: null }, msPerImage: 0.1 },
    ],
    floors: [{ rule: "rule: everything", metric: "mIoU", reference: 58.2, measured: 58.2, images: 200 }],
    sweep: [
      { steps: 1, mIoU: 0.25 },
      { steps: 5, mIoU: 0.41 },
    ],
    histogramMethod: "AlignSAM",
    perImage: [
      { id: "a", metrics: { mIoU: 0.1 } },
      { id: "b", metrics: { mIoU: 0.5 } },
      { id: "c", metrics: { mIoU: 0.9 } },
    ],
    gallery: { mode: "none", cases: [{ rank: "best", id: "c", metrics: { mIoU: 0.9 } }] },
    verdicts: ["AlignSAM loses, within noise."],
    notes: [],
    ...overrides,
  };
}

const report = (s: TaskSection): HtmlReport => ({
  title: "Evaluation",
  preamble: ["run"],
  regenerate: "npm run regenerate",
  sections: [s],
});

describe("the HTML report", () => {
  it("is one self-contained document: inline CSS, no script, no external URL", () => {
    const html = renderHtmlReport(report(section()));
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<script|<link|<iframe|@import/i);
    expect(html).not.toMatch(/\b(?:src|href)="(?!data:|#)/);
    expect(html).not.toMatch(/url\(/);
  });

  it("marks the best value of each column and shows a missing one as n/a", () => {
    const html = renderHtmlReport(report(section()));
    expect(html).toContain('<td data-metric="mIoU" data-value="0.6" class="best">60.00</td>');
    expect(html).toContain('<td data-metric="mIoU" data-value="0.5">50.00</td>');
    expect(html).toContain('<td data-metric="MAE" data-value="">n/a</td>');
  });

  it("draws the T sweep and the per-image histogram", () => {
    const html = renderHtmlReport(report(section()));
    expect(html).toMatch(/<figure data-section="sweep"><svg [^>]*data-plot="line"/);
    expect(html).toMatch(/<figure data-section="histogram" data-images="3"><svg [^>]*data-plot="histogram"/);
    expect(html).toContain('data-x="5" data-y="41"');
  });

  it("says so when the sweep was not measured", () => {
    expect(renderHtmlReport(report(section({ sweep: [] })))).toContain("mIoU against T was not measured");
  });

  it("lists the gallery without pictures and gives the licence reason and the command for a local copy", () => {
    const html = renderHtmlReport(report(section()));
    expect(html).toContain('data-section="gallery" data-mode="none"');
    expect(html).toContain(escapeHtml(LICENCE_NOTE));
    expect(html).toContain("<code>npm run regenerate</code>");
    expect(html).not.toContain("data:image");
  });

  it("shows photo, truth and prediction with numbered + and − clicks when it has pictures", () => {
    const panels = {
      width: 160,
      height: 120,
      image: PIXEL,
      truth: PIXEL,
      prediction: PIXEL,
      clicks: [
        { x: 10, y: 20, label: 1 as const, order: 1 },
        { x: 30, y: 40, label: 0 as const, order: 2 },
      ],
    };
    const html = renderHtmlReport(
      report(
        section({
          gallery: {
            mode: "images",
            cases: [{ rank: "worst" as const, id: "a", metrics: { mIoU: 0.1 } }].map((c) => ({
              ...c,
              panels,
            })),
          },
        }),
      ),
    );
    expect(html).toContain('data-section="gallery" data-mode="images"');
    expect(html.match(/<img class="thumb" src="data:image\/png/g)).toHaveLength(2);
    expect(html).toContain('<g class="click" data-order="1" data-label="1"><title>click 1: positive</title>');
    expect(html).toContain('<g class="click" data-order="2" data-label="0"><title>click 2: negative</title>');
    expect(html).not.toContain(escapeHtml(LICENCE_NOTE));
  });

  it("says pictures are missing, not forbidden, when they were asked for but could not be drawn", () => {
    const html = renderHtmlReport(
      report(section({ gallery: { mode: "images", cases: section().gallery.cases } })),
    );
    expect(html).toContain(escapeHtml(MISSING_PICTURES_NOTE));
    expect(html).not.toContain(escapeHtml(LICENCE_NOTE));
  });

  it("escapes names and ids that come from data", () => {
    const html = renderHtmlReport(
      report(
        section({
          methods: [{ name: "<img src=x onerror=alert(1)>", images: 1, metrics: { mIoU: 1 } }],
          gallery: {
            mode: "none",
            cases: [{ rank: "best", id: '"><script>x</script>', metrics: { mIoU: 1 } }],
          },
        }),
      ),
    );
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
