import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binValues, histogramSvg, lineChartSvg, niceTicks } from "./svg-plots.ts";

const attrs = (svg: string, tag: string, name: string) =>
  [...svg.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${name}="([^"]*)"`, "g"))].map((m) => m[1]);

describe("niceTicks", () => {
  it("gives round steps that cover the interval", () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 8, 4)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(0, 0.37, 4)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it("always returns increasing ticks inside [min, max + a rounding error]", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
        (lo, span) => {
          const ticks = niceTicks(lo, lo + span, 5);
          expect(ticks.length).toBeGreaterThanOrEqual(1);
          expect(ticks.length).toBeLessThanOrEqual(12);
          for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBeGreaterThan(ticks[i - 1]);
        },
      ),
    );
  });
});

describe("histogram", () => {
  it("counts every finite value once, clamping the ends and skipping NaN", () => {
    const bins = binValues([0, 0.05, 0.1, 0.55, 1, 1.2, -0.1, Number.NaN], 10, [0, 1]);
    expect(bins.map((b) => b.count)).toEqual([3, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(7);
  });

  it("labels the count axis with whole numbers only", () => {
    const svg = histogramSvg({ id: "h", title: "t", xLabel: "IoU", values: [0.1, 0.15, 0.7] });
    const yTicks = [
      ...svg.matchAll(/<text class="tick" x="\d+" y="[\d.]+" text-anchor="end">([^<]*)<\/text>/g),
    ].map((m) => m[1]);
    expect(yTicks).toEqual(["0", "1", "2"]);
  });

  it("draws one bar per bin whose data-count matches the binning, with an accessible title", () => {
    const values = [0.12, 0.18, 0.5, 0.95, 0.97, 0.99];
    const svg = histogramSvg({
      id: "h",
      title: "IoU per image",
      xLabel: "IoU (%)",
      values,
      displayScale: 100,
    });
    expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="h-title h-desc"/);
    expect(svg).toContain('<title id="h-title">IoU per image</title>');
    expect(attrs(svg, "rect", "data-count").map(Number)).toEqual(
      binValues(values, 10, [0, 1]).map((b) => b.count),
    );
    // Axis ticks in display units (percent) and the axis label.
    expect(svg).toContain(">100</text>");
    expect(svg).toContain(">IoU (%)</text>");
  });
});

describe("line chart", () => {
  it("plots each finite point with its values and leaves non-finite ones out", () => {
    const svg = lineChartSvg({
      id: "t",
      title: "mIoU vs T",
      xLabel: "T",
      yLabel: "mIoU (%)",
      series: [
        {
          name: "AlignSAM",
          points: [
            { x: 1, y: 25 },
            { x: 5, y: Number.NaN },
            { x: 10, y: 47.5 },
          ],
        },
      ],
      references: [{ name: "centre click", y: 19 }],
      yDomain: [0, 100],
    });
    expect(attrs(svg, "circle", "data-x")).toEqual(["1", "10"]);
    expect(attrs(svg, "circle", "data-y")).toEqual(["25", "47.5"]);
    expect(attrs(svg, "g", "data-y")).toEqual(["19"]);
    expect(svg).toContain("<title>AlignSAM, T = 10: 47.50</title>");
    expect(svg).toContain(">centre click</text>");
  });

  it("escapes series names so a method name cannot inject markup", () => {
    const svg = lineChartSvg({
      id: "x",
      title: "<script>",
      xLabel: "T",
      yLabel: "y",
      series: [{ name: '"><script>alert(1)</script>', points: [{ x: 1, y: 1 }] }],
    });
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
  });
});
