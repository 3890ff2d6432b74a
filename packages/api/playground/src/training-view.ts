/**
 * What the "Train your own task" panel shows, as plain DOM builders over the API's views: a dataset
 * import's report, a training run's live progress, its report (scores on the held-out images, the
 * paired difference with its standard error, the baselines, the promotion decision) and a task's
 * versions. The shapes mirror packages/api/src/routes/{datasets,trainings,policies}.ts.
 */

export interface DatasetView {
  datasetId: string;
  state: "queued" | "running" | "succeeded" | "failed";
  error?: { code: string; message: string };
  counts?: { pairs: number; refused: number; warnings: number };
  report?: { files: Array<{ path: string; code: string; message: string; kept: boolean }> };
}

export interface TrainingProgress {
  phase: "loading" | "encode" | "srm" | "ppo" | "evaluate" | "done";
  episodesDone: number;
  episodesTotal: number;
  reward: number | null;
  srmLoss: number | null;
  elapsedSeconds: number;
  etaSeconds: number | null;
}

interface Score {
  metric: string;
  value: number;
  higherIsBetter: boolean;
  images: number;
}

export interface TrainingReport {
  candidateVersion: string;
  previousVersion: string | null;
  previousSource?: "tenant" | "bundled" | "none";
  candidateScore: Score;
  previousScore: Score | null;
  promoted: boolean;
  promotable?: boolean;
  reason: string;
  trainImages: number;
  heldOutImages: number;
  pairedDifference?: { mean: number; standardError: number; images: number; metric: string } | null;
  guard?: { minHeldOutImages: number; minTrainImages: number };
  baselines?: Record<string, number | null>;
  trainingSeconds?: number;
}

export interface TrainingView {
  jobId: string;
  task: string;
  state: "queued" | "running" | "succeeded" | "failed";
  attempts: number;
  progress: TrainingProgress | null;
  error?: { code: string; message: string };
  report: TrainingReport | null;
}

export interface PoliciesView {
  task: string;
  serving: { source: "tenant" | "bundled"; version: string };
  versions: Array<{
    version: string;
    current: boolean;
    metrics: { metric: string; value: number; heldOutImages: number } | null;
    promotable: boolean | null;
    reason: string | null;
    madeBy: { dataset: string | null; at: string } | null;
  }>;
}

const PHASES: Record<TrainingProgress["phase"], string> = {
  loading: "loading the dataset",
  encode: "encoding the images",
  srm: "fitting the SRM",
  ppo: "training the agent (PPO)",
  evaluate: "scoring on the held-out images",
  done: "done",
};

const BASELINES: Record<string, string> = {
  srmMapOutOfFoldIou: "SRM map alone (out-of-fold IoU)",
  randomClicksIou: "Random clicks (IoU)",
  finalMeanReward: "Final mean reward (PPO)",
};

const num = (x: number | null | undefined, digits = 3) =>
  typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "—";
const signed = (x: number, digits = 3) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function seconds(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}

/** One sentence about an import that ended: pairs stored, files refused. */
export function describeImport(view: DatasetView): string {
  const c = view.counts ?? { pairs: 0, refused: 0, warnings: 0 };
  const warned = c.warnings ? `, ${plural(c.warnings, "pair")} kept with a warning` : "";
  return `Dataset ${view.datasetId.slice(0, 8)}: ${plural(c.pairs, "pair")} imported, ${plural(c.refused, "file")} refused${warned}.`;
}

/** The report's per-file lines: refused files and warned pairs, each with the import's reason. */
export function importFileItems(view: DatasetView): HTMLLIElement[] {
  return (view.report?.files ?? []).map((f) => {
    const li = document.createElement("li");
    li.className = f.kept ? "warned" : "failed";
    li.textContent = `${f.path}: ${f.kept ? "kept, " : "refused: "}${f.message} (${f.code})`;
    return li;
  });
}

/** The phase in words, for the live status line (it changes a few times per run, not every poll). */
export function describePhase(view: TrainingView): string {
  const id = view.jobId.slice(0, 8);
  if (view.state === "queued") return `Training ${id} is queued…`;
  if (view.state === "failed") return `Training ${id} failed.`;
  if (view.state === "succeeded") return `Training ${id} finished.`;
  const phase = view.progress ? PHASES[view.progress.phase] : "starting";
  return `Training ${id}: ${phase}${view.attempts > 1 ? ` (attempt ${view.attempts})` : ""}…`;
}

/** Episodes, reward, SRM loss and time left, as one line beside the progress bar. */
export function describeProgress(p: TrainingProgress): string {
  const parts = [`Episodes ${p.episodesDone} of ${p.episodesTotal || "?"}`];
  parts.push(`reward ${num(p.reward)}`, `SRM loss ${num(p.srmLoss)}`, `elapsed ${seconds(p.elapsedSeconds)}`);
  if (p.etaSeconds !== null && p.phase !== "done") parts.push(`about ${seconds(p.etaSeconds)} left`);
  return `${parts.join(" · ")}.`;
}

function table(caption: string, head: string[], rows: string[][]): HTMLTableElement {
  const t = document.createElement("table");
  t.className = "report-table";
  t.createCaption().textContent = caption;
  const tr = t.createTHead().insertRow();
  for (const h of head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    tr.append(th);
  }
  const body = t.createTBody();
  for (const row of rows) {
    const r = body.insertRow();
    row.forEach((cell, i) => {
      const c = i === 0 ? document.createElement("th") : document.createElement("td");
      if (i === 0) (c as HTMLTableCellElement).scope = "row";
      c.textContent = cell;
      r.append(c);
    });
  }
  return t;
}

/** What the candidate was judged against, in words. */
function comparedWith(r: TrainingReport, task: string): string {
  if (r.previousVersion) return `your version ${r.previousVersion.slice(0, 8)}`;
  if (r.previousSource === "bundled") return `bundled:${task}`;
  return "";
}

/** The report: decision first, then scores (candidate vs what served), then the baselines. */
export function reportNodes(view: TrainingView): HTMLElement[] {
  const r = view.report!;
  const decision = document.createElement("p");
  decision.id = "train-decision";
  decision.className = r.promoted ? "decision promoted" : "decision refused";
  // The guard's refusals already begin "not promoted: "; say it once.
  const reason = r.reason.replace(/^not promoted: /, "");
  decision.textContent = `${r.promoted ? "Promoted" : "Not promoted"}: ${reason}`;
  const summary = document.createElement("p");
  const against = comparedWith(r, view.task);
  const diff = r.pairedDifference
    ? `Paired difference (candidate − ${against}): ${signed(r.pairedDifference.mean)} ± ${num(r.pairedDifference.standardError)} (SE) over ${plural(r.pairedDifference.images, "image")}.`
    : "No paired difference: there was nothing serving this task to compare with.";
  summary.id = "train-summary";
  summary.textContent = `Trained on ${plural(r.trainImages, "image")}, judged on ${r.heldOutImages} held-out. ${diff}`;
  const m = r.candidateScore.metric;
  const direction = r.candidateScore.higherIsBetter ? "higher is better" : "lower is better";
  const rows = [
    [
      `Candidate (version ${r.candidateVersion.slice(0, 8)})`,
      num(r.candidateScore.value),
      String(r.candidateScore.images),
    ],
  ];
  if (r.previousScore)
    rows.push([`Current: ${against}`, num(r.previousScore.value), String(r.previousScore.images)]);
  const scores = table(`Held-out ${m} (${direction})`, ["Policy", m, "Images"], rows);
  scores.id = "train-scores";
  const nodes: HTMLElement[] = [decision, summary, scores];
  const baselines = Object.entries(r.baselines ?? {});
  if (baselines.length > 0) {
    const t = table(
      "Baselines (from the candidate's card)",
      ["Baseline", "Value"],
      baselines.map(([k, v]) => [BASELINES[k] ?? k, num(v)]),
    );
    t.id = "train-baselines";
    nodes.push(t);
  }
  return nodes;
}

/** One line per version; `promote` makes the button of a version that does not serve. */
export function versionItems(
  view: PoliciesView,
  promote: (version: string) => HTMLButtonElement,
): HTMLLIElement[] {
  return view.versions.map((v) => {
    const li = document.createElement("li");
    li.dataset.version = v.version;
    const score = v.metrics
      ? `${v.metrics.metric} ${num(v.metrics.value)} on ${v.metrics.heldOutImages} held-out`
      : "no report";
    const made = v.madeBy ? ` · ${new Date(v.madeBy.at).toLocaleString()}` : "";
    const verdict = v.promotable === false ? " · refused by the guard" : "";
    li.append(`${v.version.slice(0, 8)} · ${score}${made}${verdict}${v.current ? " · serving" : ""} `);
    if (!v.current) li.append(promote(v.version));
    return li;
  });
}

/** Which policy serves the task for this tenant, in words. */
export function describeServing(view: PoliciesView, own: boolean): string {
  if (view.serving.source === "tenant") return `Serving: your version ${view.serving.version.slice(0, 8)}.`;
  return own
    ? "Serving: none of your versions yet (promote one to segment with this task)."
    : `Serving: the bundled policy (${view.serving.version}).`;
}
