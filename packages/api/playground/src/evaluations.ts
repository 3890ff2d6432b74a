/** The "Recent evaluations" list: GET /v1/evaluations, each with a link to its best report. */
import { type EvaluationItem, getJson } from "./api.ts";

/** Preferred report first: the HTML page, then Markdown, then the raw summary. */
const REPORT_ORDER = ["report.html", "report.md", "summary.json"];

function item(e: EvaluationItem): HTMLLIElement {
  const li = document.createElement("li");
  const when = new Date(e.createdAt).toLocaleString();
  li.append(`${e.task} · ${e.images} images · ${e.state} · ${when} `);
  const report = REPORT_ORDER.find((name) => e.reports[name]);
  if (report) {
    const a = document.createElement("a");
    a.href = e.reports[report].url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = report === "report.html" ? "Open report" : `Open ${report}`;
    a.setAttribute("aria-label", `${a.textContent} of evaluation ${e.evaluationId} (${e.task})`);
    li.append(a);
  } else {
    li.append("(no report yet)");
  }
  return li;
}

/** Fill `list` with the caller's recent evaluations; the status line says how many or why not. */
export async function loadEvaluations(list: HTMLElement, status: HTMLElement): Promise<void> {
  status.textContent = "Loading evaluations…";
  try {
    const { evaluations } = await getJson<{ evaluations: EvaluationItem[] }>("/v1/evaluations?limit=20");
    list.replaceChildren(...evaluations.map(item));
    status.textContent =
      evaluations.length === 0
        ? "No evaluations yet (POST /v1/evaluations starts one)."
        : `${evaluations.length} recent evaluation${evaluations.length === 1 ? "" : "s"}.`;
  } catch (err) {
    list.replaceChildren();
    status.textContent = `Could not list evaluations: ${(err as Error).message}`;
  }
}
