/**
 * The "Train your own task" panel: define a task (POST /v1/tasks) or pick one of the tenant's own;
 * upload a zip of images/ + masks/ (POST /v1/datasets, multipart) and show its import report; start
 * a training run with small, bounded options (POST /v1/tasks/{task}/trainings); follow its progress
 * (GET …/trainings/{id}) with a progress bar; show its report and promotion decision; list the
 * task's versions with Promote and Roll back (the API's refusals shown in its own words). The
 * form's `data-state` (idle, defining, uploading, importing, training, done, error) says where it is.
 */
import { ApiError, messageOf, postJson, request, type Task } from "./api.ts";
import { pollUntil } from "./poll.ts";
import {
  type DatasetView,
  describeImport,
  describePhase,
  describeProgress,
  describeServing,
  importFileItems,
  type PoliciesView,
  reportNodes,
  type TrainingView,
  versionItems,
} from "./training-view.ts";

const NEW_TASK = "";
const OPTION_FIELDS = ["episodes", "steps", "ppoEpochs", "srmMaxEpochs", "srmAugment"] as const;

type State = "idle" | "defining" | "uploading" | "importing" | "training" | "done" | "error";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const path = (...parts: string[]) => parts.map(encodeURIComponent).join("/");

/** Wire the panel; `onTaskDefined` reloads the page's task lists. Returns the setter main.ts calls. */
export function initTrainingPanel(onTaskDefined: (name: string) => Promise<void>): {
  setTasks(tasks: Task[]): void;
} {
  const form = $<HTMLFormElement>("train-form");
  const taskSelect = $<HTMLSelectElement>("train-task");
  const newTask = $<HTMLDivElement>("train-new");
  const nameInput = $<HTMLInputElement>("train-name");
  const branchSelect = $<HTMLSelectElement>("train-branch");
  const textsInput = $<HTMLInputElement>("train-texts");
  const descriptionInput = $<HTMLInputElement>("train-description");
  const archiveInput = $<HTMLInputElement>("train-archive");
  const promoteMode = $<HTMLSelectElement>("train-promote-mode");
  const runButton = $<HTMLButtonElement>("train-run");
  const datasetStatus = $<HTMLParagraphElement>("train-dataset-status");
  const datasetFiles = $<HTMLUListElement>("train-dataset-files");
  const status = $<HTMLParagraphElement>("train-status");
  const progress = $<HTMLProgressElement>("train-progress");
  const details = $<HTMLParagraphElement>("train-details");
  const errorBox = $<HTMLDivElement>("train-error");
  const reportSection = $<HTMLElement>("train-report");
  const reportBody = $<HTMLDivElement>("train-report-body");
  const promoteButton = $<HTMLButtonElement>("train-promote");
  const versionsSection = $<HTMLElement>("train-versions-section");
  const serving = $<HTMLParagraphElement>("train-serving");
  const versionList = $<HTMLUListElement>("train-versions");
  const rollbackButton = $<HTMLButtonElement>("train-rollback");
  let ownTasks: Task[] = [];
  let report: TrainingView | undefined;

  const setState = (state: State) => {
    form.dataset.state = state;
    runButton.disabled =
      state === "defining" || state === "uploading" || state === "importing" || state === "training";
  };
  const showError = (message: string) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    progress.hidden = true;
    setState("error");
  };
  const clearError = () => {
    errorBox.textContent = "";
    errorBox.hidden = true;
  };
  const onTaskChange = () => {
    newTask.hidden = taskSelect.value !== NEW_TASK;
    if (taskSelect.value === NEW_TASK) versionsSection.hidden = true;
    else void loadVersions(taskSelect.value);
  };
  taskSelect.addEventListener("change", onTaskChange);

  // --- Versions, promote, roll back --------------------------------------------------------------

  const isOwn = (task: string) => ownTasks.some((t) => t.name === task);

  function showVersions(view: PoliciesView): void {
    serving.textContent = describeServing(view, isOwn(view.task));
    versionList.replaceChildren(
      ...versionItems(view, (version) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = "Promote";
        b.setAttribute("aria-label", `Promote version ${version.slice(0, 8)}`);
        b.addEventListener(
          "click",
          () => void act(view.task, `policies/${encodeURIComponent(version)}/promote`),
        );
        return b;
      }),
    );
    rollbackButton.disabled = view.serving.source !== "tenant";
    rollbackButton.dataset.task = view.task;
    versionsSection.hidden = false;
    // The report's own Promote button: for a candidate the guard allows that does not serve yet.
    if (report?.report && view.task === report.task) {
      const { candidateVersion, promotable } = report.report;
      promoteButton.hidden =
        promotable === false || !view.versions.some((v) => v.version === candidateVersion && !v.current);
    }
  }

  async function loadVersions(task: string): Promise<void> {
    try {
      showVersions(await (await request(`/v1/tasks/${path(task)}/policies`)).json());
    } catch (err) {
      showError(`Could not list the versions of ${task}: ${messageOf(err)}`);
    }
  }

  /** Promote or roll back; a refusal (409 with the guard's reason) is shown as the API words it. */
  async function act(task: string, action: string): Promise<void> {
    clearError();
    try {
      showVersions(await postJson<PoliciesView>(`/v1/tasks/${path(task)}/${action}`));
      status.textContent = action === "rollback" ? `Rolled back ${task}.` : `Promoted a version of ${task}.`;
    } catch (err) {
      showError(messageOf(err));
    }
  }
  rollbackButton.addEventListener("click", () => void act(rollbackButton.dataset.task ?? "", "rollback"));
  promoteButton.addEventListener("click", () => {
    if (!report?.report) return;
    void act(report.task, `policies/${encodeURIComponent(report.report.candidateVersion)}/promote`);
  });

  // --- Define, upload, train ---------------------------------------------------------------------

  async function defineTask(): Promise<string> {
    setState("defining");
    const texts = textsInput.value
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const description = descriptionInput.value.trim();
    const made = await postJson<Task>("/v1/tasks", {
      name: nameInput.value.trim(),
      branch: branchSelect.value,
      ...(texts.length ? { texts } : {}),
      ...(description ? { description } : {}),
    });
    await onTaskDefined(made.name);
    taskSelect.value = made.name;
    newTask.hidden = true;
    return made.name;
  }

  async function importDataset(file: File): Promise<string> {
    setState("uploading");
    datasetStatus.textContent = `Uploading ${file.name} (${Math.ceil(file.size / 1024)} KiB)…`;
    datasetFiles.replaceChildren();
    const body = new FormData();
    body.set("archive", file, file.name);
    body.set("name", file.name.replace(/\.zip$/i, "").slice(0, 200) || "playground");
    const accepted = await (await request("/v1/datasets", { method: "POST", body })).json();
    setState("importing");
    datasetStatus.textContent = "Checking the archive…";
    const view = await pollUntil<DatasetView>(
      `/v1/datasets/${path(accepted.datasetId)}`,
      (v) => v.state === "succeeded" || v.state === "failed",
      () => undefined,
    );
    if (view.state === "failed") {
      datasetStatus.textContent = "The archive was not imported.";
      throw new ApiError(view.error?.code ?? "HTTP_ERROR", view.error?.message ?? "the import failed", 0);
    }
    datasetStatus.textContent = describeImport(view);
    datasetFiles.replaceChildren(...importFileItems(view));
    return view.datasetId;
  }

  function trainingOptions(): Record<string, number> {
    const options: Record<string, number> = {};
    for (const field of OPTION_FIELDS) {
      const input = $<HTMLInputElement>(`train-${field}`);
      if (input.value !== "") options[field] = Number(input.value);
    }
    return options;
  }

  async function train(task: string, dataset: string): Promise<void> {
    setState("training");
    const accepted = await postJson<{ jobId: string }>(`/v1/tasks/${path(task)}/trainings`, {
      dataset,
      options: trainingOptions(),
      promote: promoteMode.value,
    });
    progress.hidden = false;
    progress.removeAttribute("value");
    let line = "";
    const view = await pollUntil<TrainingView>(
      `/v1/tasks/${path(task)}/trainings/${path(accepted.jobId)}`,
      (v) => v.state === "succeeded" || v.state === "failed",
      (v) => {
        const next = describePhase(v);
        if (next !== line) status.textContent = line = next;
        const p = v.progress;
        if (!p) return;
        const text = describeProgress(p);
        if (details.textContent !== text) details.textContent = text;
        if (p.episodesTotal > 0) {
          progress.max = p.episodesTotal;
          progress.value = p.episodesDone;
        }
      },
    );
    progress.hidden = true;
    if (view.state === "failed" || !view.report) {
      showError(
        view.error ? `${view.error.message} (${view.error.code})` : "The training failed without saying why.",
      );
      return;
    }
    report = view;
    reportBody.replaceChildren(...reportNodes(view));
    promoteButton.hidden = true; // until the versions say whether the candidate serves
    reportSection.hidden = false;
    await loadVersions(task);
    setState("done");
  }

  async function run(file: File): Promise<void> {
    const task = taskSelect.value === NEW_TASK ? await defineTask() : taskSelect.value;
    const dataset = await importDataset(file);
    await train(task, dataset);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError();
    reportSection.hidden = true;
    details.textContent = "";
    report = undefined;
    const file = archiveInput.files?.[0];
    if (taskSelect.value === NEW_TASK && !nameInput.value.trim())
      return showError("Name the new task, or pick one of yours.");
    if (!file) return showError("Choose a dataset archive (.zip of images/ and masks/) first.");
    run(file).catch((err) => {
      status.textContent = "The training did not start or did not complete.";
      showError(messageOf(err));
    });
  });

  return {
    setTasks(tasks) {
      ownTasks = tasks.filter((t) => t.own);
      const current = taskSelect.value;
      taskSelect.replaceChildren(
        new Option("Define a new task…", NEW_TASK),
        ...ownTasks.map((t) => new Option(t.name, t.name)),
      );
      taskSelect.value = ownTasks.some((t) => t.name === current) ? current : NEW_TASK;
      newTask.hidden = taskSelect.value !== NEW_TASK;
      if (taskSelect.value === NEW_TASK) versionsSection.hidden = true;
    },
  };
}
