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
  /** AlignSAM's mIoU over the oracle's (same images, backend and number of points). */
  readonly oracle?: { readonly clicks: number; readonly method: string; readonly ratio: number };
  /** The policy card's learning curves (held-out mean IoU against PPO updates). */
  readonly curves?: LearningCurves;
}

export interface LearningCurves {
  readonly images: number;
  readonly every: number;
  readonly randomClicks: number;
  readonly rule?: readonly CurvePoint[];
  readonly random?: readonly CurvePoint[];
}

interface CurvePoint {
  readonly update: number;
  readonly episode: number;
  readonly iou: number;
}

/** The learning-curve table: held-out IoU of the rule-started and randomly started agents per update. */
function curveSection(c: LearningCurves): string[] {
  const rule = c.rule ?? [];
  const random = c.random ?? [];
  const rows = Math.max(rule.length, random.length);
  if (rows === 0) return [];
  const pct = (v: number | undefined) => (v === undefined ? "" : (100 * v).toFixed(1));
  const out = [
    "",
    `Learning curve (recorded while training the policy: mean IoU of the greedy agent on ${c.images} held-out ` +
      `images against PPO updates; random clicks with the same SRM: ${pct(c.randomClicks)}):`,
    "",
    "| PPO updates | episodes | agent started at the rule | agent started at random |",
    "| ---: | ---: | ---: | ---: |",
  ];
  for (let i = 0; i < rows; i++) {
    const p = rule[i] ?? random[i];
    out.push(`| ${p.update} | ${p.episode} | ${pct(rule[i]?.iou)} | ${pct(random[i]?.iou)} |`);
  }
  const last = (xs: readonly CurvePoint[]) => xs.at(-1)?.iou;
  if (rule.length > 0 && random.length > 0) {
    out.push(
      "",
      `Rule start: ${pct(rule[0].iou)} before PPO, ${pct(last(rule))} after; random start: ${pct(random[0].iou)} before, ${pct(last(random))} after.`,
    );
  }
  return out;
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
  if (t.oracle) {
    out.push(
      "",
      `Auto / oracle: AlignSAM reaches **${t.oracle.ratio.toFixed(2)}** of the mIoU of ${t.oracle.clicks} oracle clicks ` +
        `(row "${escapeCell(t.oracle.method)}": the same backend, images and number of points as AlignSAM's P_0 + T clicks).`,
    );
  }
  if (t.verdicts.length > 0) out.push("", ...t.verdicts.map((v) => `- ${v}`));
  if (t.curves) out.push(...curveSection(t.curves));
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

/** Goals of issue 13 on the dev test split (percent for IoU and BER, a fraction for MAE). */
export const TARGETS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  blur: { mIoU: 82 },
  shadow: { mIoU: 65, BER: 12 },
  glass: { mIoU: 72 },
  saliency: { mIoU: 55, MAE: 0.06 },
  voc: { mIoU: 40 },
};

const SUMMARY_ROWS = ["AlignSAM", "SRM map alone", "AlignSAM, actor before PPO", "AlignSAM w/o RL"];

/** One line per task and target metric: the headline rows, the oracle, the ratio and the goal. */
function summarySection(report: EvaluationReport): string[] {
  const out = [
    "## Summary",
    "",
    "| task | metric | AlignSAM | SRM map alone | actor before PPO | w/o RL (random cells) | oracle clicks | auto / oracle | goal |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const t of report.tasks) {
    const goals = TARGETS[t.task] ?? { mIoU: Number.NaN };
    for (const [metric, goal] of Object.entries(goals)) {
      const value = (name: string | undefined) => {
        const v = t.summaries.find((x) => x.method === name)?.metrics[metric];
        return v === undefined ? "" : formatMetric(metric, v);
      };
      const met = (() => {
        const v = t.summaries.find((x) => x.method === "AlignSAM")?.metrics[metric];
        if (v === undefined || !Number.isFinite(goal)) return "";
        const shown = metric === "mIoU" ? 100 * v : v;
        const ok = metric === "BER" || metric === "MAE" ? shown <= goal : shown >= goal;
        return ok ? " (met)" : " (missed)";
      })();
      out.push(
        `| ${t.task} | ${metric} | ${value("AlignSAM")} | ${SUMMARY_ROWS.slice(1)
          .map((r) => value(r))
          .join(
            " | ",
          )} | ${value(t.oracle?.method)} | ${metric === "mIoU" && t.oracle ? t.oracle.ratio.toFixed(2) : ""} | ` +
          `${metric === "MAE" ? goal.toFixed(3) : goal}${met} |`,
      );
    }
  }
  return [...out, ""];
}

/** Renders the whole page. */
export function renderEvaluationDoc(report: EvaluationReport, preamble: readonly string[] = []): string {
  const m = report.machine;
  const lines = [
    "# Evaluation",
    "",
    "Written by `npm run eval:all` (packages/core/src/evaluation/eval-all/); do not edit by hand (rerun the command).",
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
    ...summarySection(report),
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
  "`npm run eval:all -- --render-only --html-gallery images --html-dir alignsam-eval/html --out alignsam-eval/html/EVALUATION.md`.",
];

/** What the numbers mean; printed above the tables. */
export const EVALUATION_CONVENTIONS: readonly string[] = [
  "## How to read the tables",
  "",
  "- **Backend.** Every segmenter-based row uses the weight-free _classic_ backend (colour, texture and",
  "  defocus features; superpixel random-walker decoding), not SAM: no SAM or CLIP weights can be",
  "  downloaded here. Compare rows with each other, not with the paper's SAM numbers.",
  "- **mIoU** is the mean over test images of the foreground IoU (an image where both prediction and",
  "  ground truth are empty scores 1); for voc it is the standard semantic-segmentation mIoU (per",
  "  class, intersection and union summed over its images, then the mean over classes), with the",
  "  mean over images of the per-image IoU beside it as **image mIoU** (packages/core/src/metrics/README.md).",
  "  Every row is scored on its binary mask (the all-zero rule on its zero map), so **F** is the",
  "  F-beta (beta^2 = 0.3) of that mask, **E** its E-measure and **MAE** its mean absolute error;",
  "  **BER** = 100 (1 - (TP/Np + TN/Nn) / 2), mean over images (the pooled BER is in the JSON).",
  "  IoU, F and E are in percent. Bold marks the best row.",
  "- **AlignSAM** is the trained PPO agent + dense SRM with greedy actions; **w/o RL** clicks",
  "  uniformly at random among unclicked cells (placed and labelled by the same SRM map);",
  "  **actor before PPO** keeps the trained SRM but puts back the actor as training started it (its",
  "  initial read-out clicks where the SRM map and the current mask fall on opposite sides of 0.5; see",
  "  docs/DEVIATIONS.md), so AlignSAM minus this row is what the PPO updates add; **w/o SRM** labels",
  "  every click positive with random P_0; **w/o MSI** stops after T = 1; **SRM map alone** thresholds",
  "  the SRM's map (64 x 64 over the image, bilinear to its size) at 0.5 with no segmenter call.",
  "- **oracle clicks** is the standard interactive-segmentation oracle (each click at the centre of the",
  "  larger error region, read from the ground truth) driving the policy's segmenter with as many",
  "  points as AlignSAM places (2 + T): an upper bound for automatic prompting; **auto / oracle** is",
  "  AlignSAM's mIoU over it.",
  "- **centre click** is one positive click at the image centre; **PerSAM-style click** is one",
  "  positive click where the embedding is most similar (cosine, standardised channels) to the mean",
  "  foreground feature of the training images. **rule:** rows are the training-free rules of",
  "  `BASELINES.md`, evaluated on the same test images.",
  "- **Verdicts** compare per-image scores on the same images (for voc the per-image IoU, whose mean",
  "  is the image mIoU): the paired mean difference, its",
  '  standard error, and on how many images each side was better. "Clearly" means more than two',
  "  standard errors; anything less is within sampling noise for this many images.",
  "- **ms / image** is the method's own time with the image's embedding already cached (the encode is",
  "  paid by the first segmenter method of each image, AlignSAM).",
  "",
];
