/**
 * The oracle-click benchmark's encoder comparison (`--encoders handcrafted,learned,combined`): the
 * classic backend's embedding from handcrafted cues, CenterNet features, or both, side by side.
 */
import type { SegmenterInfo } from "../../packages/core/src/models/ports.ts";
import type { TaskResult } from "./oracle-clicks-report.ts";

export interface EncoderRun {
  readonly encoder: string;
  readonly info: SegmenterInfo;
  readonly results: readonly TaskResult[];
  readonly seconds: number;
}

const f2 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : "-");

/** Markdown section: one row per task and encoder, IoU at each click count and encode time. */
export function renderEncoderComparison(runs: readonly EncoderRun[], clickCounts: readonly number[]): string {
  const lines: string[] = [];
  lines.push("## Encoders: handcrafted cues vs CenterNet features (classic backend)");
  lines.push("");
  lines.push(
    "Same protocol and images as above; only `encoder` differs. `learned`: the embedding is CenterNet's backbone features (models/centernet, node named in the model id) and the decoder's click-similarity prior compares superpixels by them (plus position); `combined`: both families, equal total weight. Random-walker edges stay handcrafted in all three.",
  );
  lines.push("");
  for (const r of runs) {
    lines.push(
      `- \`${r.encoder}\`: model id \`${r.info.modelId}\`, embedding ${r.info.embeddingShape.join(" x ")}, run ${r.seconds.toFixed(0)} s`,
    );
  }
  lines.push("");
  const last = clickCounts.at(-1)!;
  lines.push(
    `| task | encoder | ${clickCounts.map((k) => `IoU@${k}`).join(" | ")} | vs ${runs[0].encoder} @${last} | encode ms (CPU mean) |`,
  );
  lines.push(`| --- | --- | ${clickCounts.map(() => "---").join(" | ")} | --- | --- |`);
  for (const t of runs[0].results) {
    const base = t.iouAt[last];
    for (const r of runs) {
      const row = r.results.find((x) => x.task === t.task);
      if (!row) continue;
      const delta = row.iouAt[last] - base;
      lines.push(
        `| ${t.task} | ${r.encoder} | ${clickCounts.map((k) => f2(row.iouAt[k])).join(" | ")} | ${r === runs[0] ? "" : `${delta >= 0 ? "+" : ""}${delta.toFixed(2)}`} | ${row.encodeMs.cpuMean.toFixed(0)} |`,
      );
    }
  }
  const meanAt = (r: EncoderRun) =>
    r.results.reduce((a, t) => a + t.iouAt[last], 0) / Math.max(1, r.results.length);
  for (const r of runs)
    lines.push(
      `| mean over tasks | ${r.encoder} | ${clickCounts.map((k) => f2(r.results.reduce((a, t) => a + t.iouAt[k], 0) / Math.max(1, r.results.length))).join(" | ")} | ${r === runs[0] ? "" : (meanAt(r) - meanAt(runs[0])).toFixed(2)} | |`,
    );
  lines.push("");
  return `${lines.join("\n")}\n`;
}
