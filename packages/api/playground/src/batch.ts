/**
 * The "Segment a batch" panel: each chosen file is uploaded through the API (POST /v1/uploads for an
 * id, then PUT /v1/uploads/{id} with the bytes: the page may not reach the bucket's presigned URL),
 * three at a time, each file's state shown as it changes; the uploads that made it become one
 * POST /v1/batches, whose progress is polled until it ends; then the archive and the COCO file are
 * offered for download and every failed image is listed with the API's reason. The form's
 * `data-state` (idle, uploading, running, done, error) says where it is, for the browser tests.
 */
import { ApiError, getJson, messageOf, request, resultPath, type Task, taskLabel } from "./api.ts";
import { downloadResult } from "./downloads.ts";

const UPLOAD_CONCURRENCY = 3;
const POLL_FIRST_MS = 300;
const POLL_MAX_MS = 2000;

interface BatchView {
  batchId: string;
  state: "queued" | "running" | "succeeded" | "failed";
  images: { total: number; done: number; succeeded: number; failed: number };
  failures: Array<{ fileName: string; code: string; message: string }>;
  results: Record<string, { url: string }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Upload one file through the API; resolves with its upload id. */
async function uploadFile(file: File): Promise<string> {
  const created = (await (
    await request("/v1/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contentType: file.type, contentLength: file.size }),
    })
  ).json()) as { uploadId: string };
  await request(`/v1/uploads/${encodeURIComponent(created.uploadId)}`, {
    method: "PUT",
    headers: { "content-type": file.type },
    body: file,
  });
  return created.uploadId;
}

/** Run `work` over `items`, at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Poll GET /v1/batches/{id} (slowing down, waiting out a 429) until the batch ends. */
async function waitForBatch(batchId: string, onView: (view: BatchView) => void): Promise<BatchView> {
  let wait = POLL_FIRST_MS;
  for (;;) {
    let view: BatchView;
    try {
      view = await getJson<BatchView>(`/v1/batches/${encodeURIComponent(batchId)}`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429) throw err;
      await sleep((err.retryAfterS ?? 5) * 1000);
      continue;
    }
    onView(view);
    if (view.state === "succeeded" || view.state === "failed") return view;
    await sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 1.5);
  }
}

/** Wire the panel; returns the setter main.ts calls whenever the task list (re)loads. */
export function initBatchPanel(): { setTasks(tasks: Task[]): void } {
  const form = $<HTMLFormElement>("batch-form");
  const filesInput = $<HTMLInputElement>("batch-images");
  const taskSelect = $<HTMLSelectElement>("batch-task");
  const classRow = $<HTMLDivElement>("batch-class-row");
  const classInput = $<HTMLInputElement>("batch-class");
  const runButton = $<HTMLButtonElement>("batch-run");
  const fileList = $<HTMLUListElement>("batch-files");
  const status = $<HTMLParagraphElement>("batch-status");
  const progress = $<HTMLProgressElement>("batch-progress");
  const errorBox = $<HTMLDivElement>("batch-error");
  const downloads = $<HTMLParagraphElement>("batch-downloads");
  const failureList = $<HTMLUListElement>("batch-failures");
  let tasks: Task[] = [];
  let batchId: string | undefined;

  const setState = (state: "idle" | "uploading" | "running" | "done" | "error") => {
    form.dataset.state = state;
    runButton.disabled = state === "uploading" || state === "running";
  };
  const showError = (message: string) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    progress.hidden = true;
    setState("error");
  };
  const selectedTask = () => tasks.find((t) => t.name === taskSelect.value);
  const onTaskChange = () => {
    const needsClass = selectedTask()?.classPrompted ?? false;
    classRow.hidden = !needsClass;
    classInput.required = needsClass;
  };
  taskSelect.addEventListener("change", onTaskChange);

  /** A same-origin link that works without script too; with it, the download carries the API key. */
  const downloadLink = (id: string, name: string, text: string) => {
    const a = document.createElement("a");
    a.id = id;
    a.href = resultPath(batchId!, name);
    a.download = name;
    a.textContent = text;
    const forBatch = batchId!;
    a.addEventListener("click", (e) => {
      e.preventDefault();
      downloadResult(forBatch, name, `${forBatch.slice(0, 8)}-${name}`).catch((err) =>
        showError(messageOf(err)),
      );
    });
    return a;
  };

  async function run(files: File[], task: Task): Promise<void> {
    const rows = files.map((f) => {
      const li = document.createElement("li");
      li.textContent = `${f.name}: waiting`;
      return li;
    });
    fileList.replaceChildren(...rows);
    // By position, so the batch keeps the order the files were chosen in (COCO image ids follow it).
    const uploads: Array<{ uploadId: string; fileName: string } | undefined> = files.map(() => undefined);
    let finished = 0;
    status.textContent = `Uploading ${files.length} image${files.length === 1 ? "" : "s"}…`;
    progress.hidden = false;
    progress.max = files.length;
    progress.value = 0;
    await eachLimited(
      files.map((file, i) => ({ file, i, row: rows[i] })),
      UPLOAD_CONCURRENCY,
      async ({ file, i, row }) => {
        row.textContent = `${file.name}: uploading…`;
        try {
          uploads[i] = { uploadId: await uploadFile(file), fileName: file.name };
          row.textContent = `${file.name}: uploaded`;
        } catch (err) {
          row.textContent = `${file.name}: not uploaded: ${messageOf(err)}`;
          row.className = "failed";
        }
        progress.value = ++finished;
        status.textContent = `Uploaded ${uploads.filter(Boolean).length} of ${files.length}…`;
      },
    );
    const uploaded = uploads.filter((u) => u !== undefined);
    if (uploaded.length === 0) return showError("No image could be uploaded; see each file's reason above.");
    setState("running");
    const accepted = (await (
      await request("/v1/batches", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          images: uploaded,
          task: task.name,
          ...(task.classPrompted ? { className: classInput.value.trim() } : {}),
          outputs: ["mask", "rle", "coco"],
        }),
      })
    ).json()) as { batchId: string };
    batchId = accepted.batchId;
    const id = batchId.slice(0, 8);
    let last = "";
    const view = await waitForBatch(batchId, (v) => {
      const { done, failed, total } = v.images;
      progress.max = Math.max(total, 1);
      progress.value = done;
      const line = `Batch ${id} is ${v.state}: ${done} of ${total} images done${failed ? `, ${failed} failed` : ""}.`;
      if (line !== last) status.textContent = last = line;
    });
    progress.hidden = true;
    if (view.state === "failed") return showError(`Batch ${id} failed.`);
    failureList.replaceChildren(
      ...view.failures.map((f) => {
        const li = document.createElement("li");
        li.className = "failed";
        li.textContent = `${f.fileName}: ${f.message} (${f.code})`;
        return li;
      }),
    );
    const { succeeded, failed, total } = view.images;
    status.textContent = `Batch ${id} succeeded: ${succeeded} of ${total} images segmented${failed ? `, ${failed} failed (listed below)` : ""}.`;
    downloads.replaceChildren(
      downloadLink("batch-zip", "batch.zip", "Download the archive (batch.zip)"),
      downloadLink("batch-coco", "coco.json", "Download COCO JSON"),
    );
    downloads.hidden = false;
    setState("done");
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    errorBox.hidden = true;
    downloads.hidden = true;
    failureList.replaceChildren();
    batchId = undefined;
    const files = Array.from(filesInput.files ?? []);
    const task = selectedTask();
    if (files.length === 0) return showError("Choose one or more images first (PNG, JPEG or WebP).");
    if (!task) return showError("Choose a task first.");
    if (classInput.required && !classInput.value.trim())
      return showError("This task needs a class: type one.");
    setState("uploading");
    run(files, task).catch((err) => {
      status.textContent = "The batch did not complete.";
      showError(messageOf(err));
    });
  });

  return {
    setTasks(next) {
      tasks = next;
      const current = taskSelect.value;
      taskSelect.replaceChildren(...tasks.map((t) => new Option(taskLabel(t), t.name)));
      const keep = tasks.some((t) => t.name === current) ? current : undefined;
      taskSelect.value =
        keep ?? (tasks.some((t) => t.name === "saliency") ? "saliency" : (tasks[0]?.name ?? ""));
      onTaskChange();
    },
  };
}
