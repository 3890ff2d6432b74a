/**
 * The playground's wiring: the form posts to /v1/segment, the job is polled until it ends, and its
 * results (trajectory.json, steps.json, mask.png) are loaded into the viewer. Everything the user
 * sees about a failure is the API's own message. `document.body.dataset.state` says where the page
 * is (idle, running, done, error), for people's scripts and the browser tests alike. The batch panel
 * is batch.ts's and the training panel training.ts's; this file only hands them the task list (own
 * tasks marked "(yours)").
 */
import type { StepsDocument, TrajectoryDocument } from "@alignsam/core/light";
import {
  getJson,
  type JobView,
  messageOf,
  request,
  resultPath,
  storeApiKey,
  storedApiKey,
  type Task,
  taskLabel,
} from "./api.ts";
import { initBatchPanel } from "./batch.ts";
import { downloadResult } from "./downloads.ts";
import { loadEvaluations } from "./evaluations.ts";
import { waitForJob } from "./job.ts";
import { maskLayer, stepLayers } from "./steps.ts";
import { initTrainingPanel } from "./training.ts";
import { describeStep, draw, type ViewState } from "./viewer.ts";

/** Results the playground asks a segment job for (the overlay and probability map it draws itself). */
const OUTPUTS = "mask,rle,trajectory,steps,metrics";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("segment-form");
const imageInput = $<HTMLInputElement>("image");
const taskSelect = $<HTMLSelectElement>("task");
const classRow = $<HTMLDivElement>("class-row");
const classInput = $<HTMLInputElement>("class-name");
const stepsInput = $<HTMLInputElement>("steps");
const runButton = $<HTMLButtonElement>("run");
const statusLine = $<HTMLParagraphElement>("status");
const progress = $<HTMLProgressElement>("progress");
const errorBox = $<HTMLDivElement>("error");
const resultSection = $<HTMLElement>("result");
const canvas = $<HTMLCanvasElement>("canvas");
const caption = $<HTMLParagraphElement>("step-caption");
const stepSlider = $<HTMLInputElement>("step");
const opacity = $<HTMLInputElement>("opacity");
const showSrm = $<HTMLInputElement>("show-srm");
const showMarkers = $<HTMLInputElement>("show-markers");
const clickList = $<HTMLOListElement>("clicks");
const evaluationList = $<HTMLUListElement>("evaluations");
const evaluationStatus = $<HTMLParagraphElement>("evaluations-status");

let tasks: Task[] = [];
let view: ViewState | undefined;
let currentJob: string | undefined;

function setState(state: "idle" | "running" | "done" | "error"): void {
  document.body.dataset.state = state;
  runButton.disabled = state === "running";
}

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
  setState("error");
}

function clearError(): void {
  errorBox.textContent = "";
  errorBox.hidden = true;
}

const batchPanel = initBatchPanel();
// A task defined in the training panel joins every task list at once.
const trainingPanel = initTrainingPanel(() => loadTasks());

// --- API key -------------------------------------------------------------------------------------

const keyInput = $<HTMLInputElement>("api-key");
keyInput.value = storedApiKey();
/** A new key may see other tasks and evaluations (another tenant): load both again. */
function onKeyChanged(): void {
  clearError();
  setState("idle");
  void loadTasks();
  void loadEvaluations(evaluationList, evaluationStatus);
}
keyInput.addEventListener("change", () => {
  storeApiKey(keyInput.value.trim());
  onKeyChanged();
});
$<HTMLButtonElement>("api-key-clear").addEventListener("click", () => {
  keyInput.value = "";
  storeApiKey("");
  keyInput.focus();
  onKeyChanged();
});

// --- Tasks ---------------------------------------------------------------------------------------

function selectedTask(): Task | undefined {
  return tasks.find((t) => t.name === taskSelect.value);
}

function onTaskChange(): void {
  const task = selectedTask();
  $<HTMLParagraphElement>("task-description").textContent = task ? task.description : "";
  const needsClass = task?.classPrompted ?? false;
  classRow.hidden = !needsClass;
  classInput.required = needsClass;
}

async function loadTasks(): Promise<void> {
  try {
    ({ tasks } = await getJson<{ tasks: Task[] }>("/v1/tasks"));
    taskSelect.replaceChildren(
      ...tasks.map((t) => {
        const option = document.createElement("option");
        option.value = t.name;
        option.textContent = taskLabel(t);
        return option;
      }),
    );
    taskSelect.value = tasks.some((t) => t.name === "saliency") ? "saliency" : (tasks[0]?.name ?? "");
    onTaskChange();
    batchPanel.setTasks(tasks);
    trainingPanel.setTasks(tasks);
  } catch (err) {
    tasks = [];
    batchPanel.setTasks(tasks);
    trainingPanel.setTasks(tasks);
    taskSelect.replaceChildren(new Option("Tasks unavailable", ""));
    onTaskChange();
    showError(`Could not load the tasks: ${messageOf(err)}`);
  }
}
taskSelect.addEventListener("change", onTaskChange);

// --- Image: pick or drop -------------------------------------------------------------------------

const dropZone = $<HTMLDivElement>("drop-zone");
const imageName = $<HTMLParagraphElement>("image-name");
function onImageChosen(): void {
  const file = imageInput.files?.[0];
  imageName.textContent = file ? `Chosen: ${file.name} (${Math.ceil(file.size / 1024)} KiB)` : "";
}
imageInput.addEventListener("change", onImageChosen);
for (const type of ["dragenter", "dragover"]) {
  dropZone.addEventListener(type, (e) => {
    e.preventDefault();
    dropZone.classList.add("dragging");
  });
}
for (const type of ["dragleave", "drop"]) {
  dropZone.addEventListener(type, () => dropZone.classList.remove("dragging"));
}
dropZone.addEventListener("drop", (e) => {
  e.preventDefault();
  const files = (e as DragEvent).dataTransfer?.files;
  if (!files || files.length === 0) return;
  const dt = new DataTransfer();
  dt.items.add(files[0]);
  imageInput.files = dt.files;
  onImageChosen();
});

// --- Viewer --------------------------------------------------------------------------------------

function renderClicks(state: ViewState): void {
  clickList.replaceChildren(
    ...state.clicks.map((c, i) => {
      const li = document.createElement("li");
      const sign = c.label === 1 ? "+" : "−";
      li.textContent = `${i + 1} ${sign} (${Math.round(c.x)}, ${Math.round(c.y)})`;
      li.className = `${c.label === 1 ? "positive" : "negative"}${c.step > state.step ? " future" : ""}`;
      li.setAttribute(
        "aria-label",
        `click ${i + 1}, ${c.label === 1 ? "positive" : "negative"}, step ${c.step}`,
      );
      return li;
    }),
  );
}

function redraw(): void {
  if (!view) return;
  view.opacity = Number(opacity.value) / 100;
  view.showSrm = showSrm.checked;
  view.showMarkers = showMarkers.checked;
  view.step = Number(stepSlider.value);
  draw(canvas, view);
  const sentence = describeStep(view);
  caption.textContent = sentence;
  canvas.setAttribute("aria-label", `The image with the mask after step ${view.step}. ${sentence}`);
  canvas.dataset.step = String(view.step);
  stepSlider.setAttribute("aria-valuetext", `step ${view.step} of ${view.lastStep}`);
  renderClicks(view);
}

for (const el of [opacity, showSrm, showMarkers, stepSlider]) el.addEventListener("input", redraw);
const stepBy = (d: number) => () => {
  if (!view) return;
  stepSlider.value = String(Math.min(view.lastStep, Math.max(0, Number(stepSlider.value) + d)));
  redraw();
};
$<HTMLButtonElement>("step-prev").addEventListener("click", stepBy(-1));
$<HTMLButtonElement>("step-next").addEventListener("click", stepBy(1));

async function optionalJson<T>(jobId: string, name: string, job: JobView): Promise<T | undefined> {
  if (!job.results[name]) return undefined;
  return (await (await request(resultPath(jobId, name))).json()) as T;
}

async function showResult(job: JobView, file: File): Promise<void> {
  const [image, trajectory, steps, maskBlob] = await Promise.all([
    createImageBitmap(file),
    optionalJson<TrajectoryDocument>(job.jobId, "trajectory.json", job),
    optionalJson<StepsDocument>(job.jobId, "steps.json", job),
    job.results["mask.png"] ? (await request(resultPath(job.jobId, "mask.png"))).blob() : undefined,
  ]);
  const layers = steps ? await stepLayers(steps) : { masks: [], srms: [], srm: null };
  const clicks = trajectory?.steps ?? [];
  const lastStep = Math.max(layers.masks.length - 1, ...clicks.map((c) => c.step), 0);
  view = {
    image,
    stepMasks: layers.masks,
    finalMask: maskBlob ? await maskLayer(maskBlob) : null,
    stepSrms: layers.srms,
    srm: layers.srm,
    clicks,
    step: lastStep,
    lastStep,
    opacity: 0.55,
    showSrm: false,
    showMarkers: true,
  };
  showSrm.disabled = !layers.srm;
  canvas.dataset.stepMasks = String(layers.masks.length);
  stepSlider.max = String(lastStep);
  stepSlider.value = String(lastStep);
  resultSection.hidden = false;
  redraw();
}

// --- Run a job -----------------------------------------------------------------------------------

async function run(file: File): Promise<void> {
  const task = selectedTask()!;
  const body = new FormData();
  body.set("image", file, file.name);
  body.set("task", task.name);
  if (task.classPrompted) body.set("className", classInput.value.trim());
  if (stepsInput.value) body.set("steps", stepsInput.value);
  body.set("outputs", OUTPUTS);
  statusLine.textContent = "Uploading…";
  progress.hidden = false;
  progress.removeAttribute("value");
  const accepted = (await (await request("/v1/segment", { method: "POST", body })).json()) as {
    jobId: string;
  };
  currentJob = accepted.jobId;
  const job = await waitForJob(accepted.jobId, (line) => {
    statusLine.textContent = line;
  });
  progress.max = 1;
  progress.value = job.state === "succeeded" ? 1 : 0;
  progress.hidden = true;
  if (job.state === "failed") {
    showError(job.error ? `${job.error.message} (${job.error.code})` : "The job failed without saying why.");
    return;
  }
  await showResult(job, file);
  setState("done");
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  clearError();
  const file = imageInput.files?.[0];
  if (!file) return showError("Choose an image first (PNG, JPEG or WebP).");
  if (!selectedTask()) return showError("Choose a task first.");
  if (classInput.required && !classInput.value.trim()) return showError("This task needs a class: type one.");
  setState("running");
  resultSection.hidden = true;
  view = undefined;
  currentJob = undefined;
  run(file).catch((err) => {
    progress.hidden = true;
    statusLine.textContent = "The job did not complete.";
    showError(messageOf(err));
  });
});

// --- Downloads -----------------------------------------------------------------------------------

const downloads: Array<[string, string, string]> = [
  ["download-mask", "mask.png", "mask.png"],
  ["download-rle", "rle.json", "mask-rle.json"],
  ["download-trajectory", "trajectory.json", "trajectory.json"],
];
for (const [id, name, filename] of downloads) {
  $<HTMLButtonElement>(id).addEventListener("click", () => {
    if (!currentJob) return;
    clearError();
    downloadResult(currentJob, name, filename).catch((err) => showError(messageOf(err)));
  });
}

// --- Evaluations ---------------------------------------------------------------------------------

$<HTMLButtonElement>("evaluations-refresh").addEventListener("click", () => {
  void loadEvaluations(evaluationList, evaluationStatus);
});

setState("idle");
void loadTasks();
void loadEvaluations(evaluationList, evaluationStatus);
