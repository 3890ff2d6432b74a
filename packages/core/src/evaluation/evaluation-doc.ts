/**
 * docs/EVALUATION.md from a structured run report: per task the comparison table, the T sweep, the
 * training cost and plain sentences on whether AlignSAM beats its no-RL ablation and the centre-click
 * baseline. The report object is also written as JSON, so every number in the page can be traced.
 */
import type { MetricName } from "../tasks/registry.ts";
import type { EvaluationSummary } from "./evaluate.ts";
import { escapeCell, formatMetric, markdownTable, perClassTable } from "./report.ts";

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly tfBackend?: string;
}

export interface PolicyInfo {
  /** "trained" in this run, or "loaded" from a shipped folder. */
  readonly source: "trained" | "loaded";
  readonly path?: string;
  /** Training wall time of this run (trained) or the card's recorded one (loaded). */
  readonly trainingMs: number;
  readonly epochs: number;
  readonly steps: number;
  readonly episodes: number;
  readonly finalMeanReward: number;
  /** What the explicit branch used as M_c ("unused" for implicit tasks). */
  readonly prior: string;
  /** Where training time went (the card's TrainTimings), milliseconds. */
  readonly timingsMs?: Readonly<Record<string, number>>;
}

export interface RuleCheck {
  readonly rule: string;
  readonly metric: string;
  /** BASELINES.md's value (percent for IoU/BER, fraction for MAE). */
  readonly reference: number;
  /** This run's value on the same pairs, same units. */
  readonly measured: number;
  readonly images: number;
}

export interface TaskEvaluation {
  readonly task: string;
  readonly dataset: string;
  readonly metrics: readonly MetricName[];
  readonly trainImages: number;
  readonly testImages: number;
  /** Test pairs available before --max-test cut the list. */
  readonly testAvailable: number;
  readonly policy?: PolicyInfo;
  readonly summaries: readonly EvaluationSummary[];
  /** mIoU after T clicks (paper Table 5), from one greedy episode per image. */
  readonly sweep: readonly { steps: number; mIoU: number }[];
  readonly verdicts: readonly string[];
  readonly ruleChecks: readonly RuleCheck[];
  readonly evaluationMs: number;
  readonly notes: readonly string[];
}

export interface EvaluationReport {
  readonly createdAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly tasks: readonly TaskEvaluation[];
  readonly totalMs: number;
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

function taskSection(t: TaskEvaluation): string {
  const out: string[] = [`## ${t.task} (${t.dataset})`, ""];
  out.push(
    `${t.trainImages} training images, ${t.testImages} test images` +
      (t.testImages < t.testAvailable
        ? ` (${t.testImages} of ${t.testAvailable}, spread evenly over the ids)`
        : "") +
      `; the task took ${minutes(t.evaluationMs)}, training included.`,
  );
  if (t.policy) {
    const p = t.policy;
    out.push(
      "",
      `Policy: ${p.source === "loaded" ? `loaded from \`${p.path}\`` : "trained in this run"}; ` +
        `E = ${p.epochs} epochs, T = ${p.steps}, ${p.episodes} episodes, final mean reward ${p.finalMeanReward.toFixed(3)}, ` +
        `training time ${minutes(p.trainingMs)}; prior: ${p.prior}.`,
    );
  }
  out.push("", markdownTable(t.summaries, t.metrics).trimEnd());
  if (t.verdicts.length > 0) out.push("", ...t.verdicts.map((v) => `- ${v}`));
  if (t.sweep.length > 0) {
    out.push(
      "",
      "mIoU against the number of clicks T (paper Table 5; one greedy episode, mask read after each step):",
      "",
      `| T | ${t.sweep.map((s) => s.steps).join(" | ")} |`,
      `| --- | ${t.sweep.map(() => "---:").join(" | ")} |`,
      `| mIoU | ${t.sweep.map((s) => formatMetric("mIoU", s.mIoU)).join(" | ")} |`,
    );
  }
  const classTable = perClassTable(
    t.summaries.filter((s) => s.perClass.length > 0 && !s.method.startsWith("rule: all")),
    "mIoU",
  );
  if (classTable && t.summaries.some((s) => s.perClass.length > 1)) {
    out.push("", "<details><summary>Per-class mIoU</summary>", "", classTable.trimEnd(), "", "</details>");
  }
  if (t.ruleChecks.length > 0) {
    out.push(
      "",
      "BASELINES.md cross-check (rules on every pair of the dataset folder, per-image mean):",
      "",
      "| rule | metric | BASELINES.md | this run | images |",
      "| --- | --- | ---: | ---: | ---: |",
      ...t.ruleChecks.map((c) => {
        const f = (v: number) => (c.metric === "MAE" ? v.toFixed(3) : v.toFixed(1));
        return `| ${escapeCell(c.rule)} | ${c.metric} | ${f(c.reference)} | ${f(c.measured)} | ${c.images} |`;
      }),
    );
  }
  for (const note of t.notes) out.push("", `> ${note}`);
  return out.join("\n");
}

/** Renders the whole page. */
export function renderEvaluationDoc(report: EvaluationReport, preamble: readonly string[] = []): string {
  const m = report.machine;
  const lines = [
    "# Evaluation",
    "",
    "Written by `packages/core/bench/evaluate-all.ts`; do not edit by hand (rerun the command).",
    "",
    ...HTML_REPORT_NOTE,
    "",
    `Command: \`${report.command}\``,
    "",
    `Run at ${report.createdAt} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB), ${m.platform}, ` +
      `Node ${m.node}${m.tfBackend ? `, TensorFlow.js backend ${m.tfBackend}` : ""}; total ${minutes(report.totalMs)}.`,
    "",
    `Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join(", ")}.`,
    "",
    ...preamble,
    ...report.tasks.flatMap((t) => [taskSection(t), ""]),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}

/**
 * Where the per-task HTML reports are and why their galleries hold no pictures (the datasets'
 * licences), with the command that draws them locally.
 */
export const HTML_REPORT_NOTE: readonly string[] = [
  "Each task also has a self-contained HTML report beside the JSON, `docs/evaluation/<task>.html`",
  "(its tables below, mIoU against T as a plot, a histogram of per-image IoU, and the best, median",
  "and worst images). Its gallery lists those images by id and metric only: the datasets'",
  "research-only licences forbid redistributing their images or pictures derived from them. To see",
  "them with their clicks drawn, write a local copy into a git-ignored folder:",
  "`npm exec -- node packages/core/bench/evaluate-all.ts --render-only --html-gallery images --html-dir alignsam-eval/html --out alignsam-eval/html/EVALUATION.md`.",
];

/** What the numbers mean; printed above the tables. */
export const EVALUATION_CONVENTIONS: readonly string[] = [
  "## How to read the tables",
  "",
  "- **Backend.** Every segmenter-based row uses the weight-free _classic_ backend (colour, texture and",
  "  defocus features; superpixel random-walker decoding), not SAM: no SAM or CLIP weights can be",
  "  downloaded here. Compare rows with each other, not with the paper's SAM numbers.",
  "- **mIoU** is the mean over test images of the foreground IoU (an image where both prediction and",
  "  ground truth are empty scores 1); for voc it is the mean over classes of the per-class mean IoU.",
  "  Every row is scored on its binary mask (the all-zero rule on its zero map), so **F** is the",
  "  F-beta (beta^2 = 0.3) of that mask, **E** its E-measure and **MAE** its mean absolute error;",
  "  **BER** = 100 (1 - (TP/Np + TN/Nn) / 2), mean over images (the pooled BER is in the JSON).",
  "  IoU, F and E are in percent. Bold marks the best row.",
  "- **AlignSAM** is the trained PPO agent + SRM with greedy actions; **w/o RL** clicks uniformly at",
  "  random among unclicked cells; **actor before PPO** keeps the trained SRM but puts back the actor",
  "  as training started it (its initial read-out clicks where the SRM map and the current mask",
  "  disagree most; see policies/README.md), so AlignSAM minus this row is what the PPO updates add;",
  "  **w/o SRM** labels every click positive with random P_0; **w/o MSI**",
  "  stops after T = 1; **SRM map alone** thresholds the SRM's initial map at 0.5 with no SAM call.",
  "- **centre click** is one positive click at the image centre; **PerSAM-style click** is one",
  "  positive click where the embedding is most similar (cosine, standardised channels) to the mean",
  "  foreground feature of the training images. **rule:** rows are the training-free rules of",
  "  `BASELINES.md`, evaluated on the same test images.",
  "- **Verdicts** compare per-image scores on the same images: the paired mean difference, its",
  '  standard error, and on how many images each side was better. "Clearly" means more than two',
  "  standard errors; anything less is within sampling noise for this many images.",
  "- **ms / image** is the method's own time with the image's embedding already cached (the encode is",
  "  paid by the first segmenter method of each image, AlignSAM).",
  "",
];
