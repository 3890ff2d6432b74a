/**
 * Renders the oracle-click benchmark as docs/benchmarks/backends.md: the machine, the command, the
 * measured table, and the BASELINES.md reference row it is meant to be read against.
 */
import { cpus, loadavg } from "node:os";

export interface TaskResult {
  readonly task: string;
  readonly images: number;
  /** Mean IoU after each reported click count. */
  readonly iouAt: Record<number, number>;
  /** Wall-clock mean and median, and the mean CPU time of this process (robust to a busy machine). */
  readonly encodeMs: { mean: number; median: number; cpuMean: number };
  readonly decodeMs: { mean: number; median: number; cpuMean: number };
  /** Median over images of the median of repeated decodes of the final prompt (warm, no protocol GC). */
  readonly steadyDecodeMs: number;
}

export interface BenchmarkReport {
  readonly backend: string;
  readonly modelId: string;
  readonly command: string;
  readonly date: string;
  readonly datasetsRoot: string;
  readonly limit: number;
  readonly clickCounts: readonly number[];
  readonly candidate: string;
  readonly maskInput: boolean;
  readonly options: Record<string, unknown>;
  readonly results: readonly TaskResult[];
  readonly totalSeconds: number;
}

/** BASELINES.md: random walker on Lab (beta 30), border as background, 320 px, first 30 pairs. */
export const REFERENCE_RANDOM_WALKER: Record<string, Record<number, number>> = {
  saliency: { 1: 0.4, 3: 0.6, 5: 0.64, 10: 0.77 },
  glass: { 1: 0.16, 3: 0.49, 5: 0.64, 10: 0.8 },
  shadow: { 1: 0.2, 3: 0.44, 5: 0.56, 10: 0.7 },
  blur: { 1: 0.06, 3: 0.23, 5: 0.35, 10: 0.52 },
};

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "-");
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "-");

/** Markdown text of the report. */
export function renderReport(r: BenchmarkReport): string {
  const cpu = cpus();
  const lines: string[] = [];
  lines.push("# Backends: oracle-click benchmark");
  lines.push("");
  lines.push("Written by `bench/core/oracle-clicks.ts`; do not edit by hand, rerun it.");
  lines.push("");
  lines.push(`- backend: \`${r.backend}\`, model id \`${r.modelId}\``);
  lines.push(`- command: \`${r.command}\``);
  lines.push(`- date: ${r.date}`);
  lines.push(
    `- machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} logical cores; Node ${process.version}`,
  );
  lines.push(`- datasets: \`${r.datasetsRoot}\`, first ${r.limit} pairs of each task by sorted id`);
  lines.push(
    `- protocol: each next click at the interior point (maximum distance transform, image surround as outside) of the larger error region, positive for missed foreground; the mask scored is ${r.candidate === "best" ? "the candidate with the highest predicted score (as the pipeline picks SAM's best-IoU mask)" : r.candidate === "oracle" ? "the candidate with the highest true IoU (diagnostic upper bound)" : `candidate ${r.candidate}`}; ${r.maskInput ? "the previous low-res logits are passed back as maskInput" : "no maskInput"}`,
  );
  lines.push(`- options: \`${JSON.stringify(r.options)}\``);
  lines.push(`- total run time: ${r.totalSeconds.toFixed(0)} s (decode and encode run on one core)`);
  lines.push(
    `- machine load when it ran (1-minute load average): ${loadavg()[0].toFixed(1)} on ${cpu.length} cores; wall times on a busy machine overstate the cost, CPU times less so`,
  );
  lines.push(
    "- timings: encode and decode per call inside the protocol (wall mean / median, and mean CPU time of this process, which includes its GC threads); steady decode = median over images of the median of 5 repeated decodes of the final prompt on a warm embedding (the training loop's situation)",
  );
  lines.push("");
  const clickHeads = r.clickCounts.map((k) => `IoU@${k}`);
  lines.push(
    `| task | images | ${clickHeads.join(" | ")} | encode ms (wall mean / median; CPU mean) | decode ms (wall mean / median; CPU mean) | steady decode ms |`,
  );
  lines.push(`| --- | --- | ${r.clickCounts.map(() => "---").join(" | ")} | --- | --- | --- |`);
  for (const t of r.results) {
    const cells = r.clickCounts.map((k) => f2(t.iouAt[k]));
    lines.push(
      `| ${t.task} | ${t.images} | ${cells.join(" | ")} | ${f1(t.encodeMs.mean)} / ${f1(t.encodeMs.median)}; ${f1(t.encodeMs.cpuMean)} | ${f2(t.decodeMs.mean)} / ${f2(t.decodeMs.median)}; ${f2(t.decodeMs.cpuMean)} | ${f2(t.steadyDecodeMs)} |`,
    );
  }
  lines.push("");
  lines.push(
    "## Reference: BASELINES.md random walker (CIE-Lab, beta 30, border as background, pixel level)",
  );
  lines.push("");
  lines.push(`| task | ${clickHeads.join(" | ")} | classic minus reference @${r.clickCounts.at(-1)} |`);
  lines.push(`| --- | ${r.clickCounts.map(() => "---").join(" | ")} | --- |`);
  const last = r.clickCounts.at(-1)!;
  for (const [task, ref] of Object.entries(REFERENCE_RANDOM_WALKER)) {
    const mine = r.results.find((t) => t.task === task);
    const delta = mine ? mine.iouAt[last] - (ref[last] ?? Number.NaN) : Number.NaN;
    const sign = delta > 0 ? "+" : "";
    lines.push(
      `| ${task} | ${r.clickCounts.map((k) => f2(ref[k] ?? Number.NaN)).join(" | ")} | ${Number.isFinite(delta) ? sign + delta.toFixed(2) : "-"} |`,
    );
  }
  lines.push("");
  return `${lines.join("\n")}\n`;
}
