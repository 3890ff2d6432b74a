/**
 * The service's tenant flow from the command line: `datasets upload`, `tasks create` and
 * `train --remote` (see ../remote.ts for the URL and key). Each follows its job by polling until it
 * ends; a failed job exits 1 with its error code.
 */
import type { Command } from "commander";
import { AlignSamError } from "../../errors.ts";
import { sniffArchiveFormat } from "../../jobs/dataset-upload.ts";
import type { TrainingProgress } from "../../jobs/tenant-policies.ts";
import { optionalInt, stepsOption } from "../options.ts";
import { action, emit, type GlobalOptions } from "../output.ts";
import { archiveOf, connect, POLL_MS, type Remote, type RemoteOptions, sleep } from "../remote.ts";

const CONTENT_TYPES = {
  zip: "application/zip",
  tar: "application/x-tar",
  "tar.gz": "application/gzip",
} as const;

/** Archives above this go through a presigned upload (an AWS API's body limit is 6 MB). */
export const PRESIGN_ABOVE_BYTES = 5 * 1024 * 1024;

interface DatasetView {
  datasetId: string;
  state: string;
  error?: { code: string; message: string };
  counts?: Record<string, number>;
  report?: { files: { path: string; code: string; message: string; kept: boolean }[] };
}

const remoteFlags = (c: Command) =>
  c
    .option("--url <url>", "the service (default: $ALIGNSAM_API_URL, else http://localhost:3000)")
    .option("--key <key>", "API key (default: $ALIGNSAM_API_KEY; none: the local stack's anonymous tenant)");

async function sendArchive(remote: Remote, archive: Uint8Array, fields: Record<string, string | undefined>) {
  const extra = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  // A copy on its own ArrayBuffer: what fetch and File take as a body.
  const bytes = new Uint8Array(archive);
  if (bytes.length <= PRESIGN_ABOVE_BYTES) {
    const form = new FormData();
    form.append("archive", new File([bytes], "dataset.zip", { type: "application/octet-stream" }));
    for (const [k, v] of Object.entries(extra)) form.append(k, v);
    return remote.postForm<{ datasetId: string }>("/v1/datasets", form);
  }
  const target = await remote.request<{ uploadId: string; url: string; headers: Record<string, string> }>(
    "POST",
    "/v1/datasets/uploads",
    {
      contentType: CONTENT_TYPES[sniffArchiveFormat(bytes) ?? "zip"],
      contentLength: bytes.length,
    },
  );
  const put = await fetch(target.url, { method: "PUT", headers: target.headers, body: bytes });
  if (!put.ok)
    throw new AlignSamError("INVALID_ARGUMENT", `the presigned upload was refused (${put.status})`);
  return remote.request<{ datasetId: string }>("POST", "/v1/datasets", {
    uploadId: target.uploadId,
    ...extra,
  });
}

function describeDataset(d: DatasetView): string {
  const c = d.counts;
  const lines = [`dataset ${d.datasetId}: ${d.state}`];
  if (c)
    lines.push(
      `  ${c.pairs} pairs, ${c.refused} files refused, ${c.warnings} warnings (${c.emptyMasks} empty masks)`,
    );
  for (const f of d.report?.files.slice(0, 20) ?? [])
    lines.push(`  ${f.kept ? "warning" : "refused"} ${f.path}: ${f.code} ${f.message}`);
  if ((d.report?.files.length ?? 0) > 20)
    lines.push(`  ... ${d.report!.files.length - 20} more (--json for all)`);
  if (d.error) lines.push(`  ${d.error.code}: ${d.error.message}`);
  return lines.join("\n");
}

/** `alignsam datasets upload DIR|ARCHIVE`: one archive, checked by the service; prints its report. */
export function registerDatasetUpload(datasets: Command, program: Command): void {
  remoteFlags(
    datasets
      .command("upload <path>")
      .description(
        "upload a labelled dataset (a folder, packed as a zip, or a zip / tar / tar.gz) to the service",
      )
      .option("--name <name>", "a label shown in listings")
      .option("--category <name>", "COCO archives: the category to rasterise (default: the only one)")
      .option("--no-wait", "return once accepted, without following the import"),
  ).action(
    action(
      async (path: string, flags: RemoteOptions & { name?: string; category?: string; wait: boolean }) => {
        const global = program.opts<GlobalOptions>();
        const remote = connect(flags);
        const archive = await archiveOf(path);
        if (archive.packed && !global.json)
          process.stderr.write(`packed ${archive.files} files into a zip (${archive.bytes.length} bytes)\n`);
        const { datasetId } = await sendArchive(remote, archive.bytes, {
          name: flags.name,
          category: flags.category,
        });
        let view = await remote.request<DatasetView>("GET", `/v1/datasets/${datasetId}`);
        while (flags.wait && (view.state === "queued" || view.state === "running")) {
          await sleep(POLL_MS);
          view = await remote.request<DatasetView>("GET", `/v1/datasets/${datasetId}`);
        }
        emit(
          global,
          () => describeDataset(view),
          () => view,
        );
        if (view.state === "failed") process.exitCode = 1;
      },
      () => program.opts<GlobalOptions>().json === true,
    ),
  );
}

/** `alignsam tasks create NAME --branch B --text T`: a task of the caller's tenant. */
export function registerTasksCommand(program: Command): void {
  const tasks = program.command("tasks").description("tasks of the service (built in and your own)");
  remoteFlags(
    tasks
      .command("create <name>")
      .description("define a task of your own on the service (your tenant only)")
      .requiredOption("--branch <branch>", "implicit (masks alone) or explicit (a text prior too)")
      .option("--text <text...>", "what the concept is called (explicit branch; default: the name)")
      .option("--description <text>", "a sentence describing the task"),
  ).action(
    action(
      async (
        name: string,
        flags: RemoteOptions & { branch: string; text?: string[]; description?: string },
      ) => {
        const remote = connect(flags);
        const task = await remote.request<Record<string, unknown>>("POST", "/v1/tasks", {
          name,
          branch: flags.branch,
          ...(flags.text ? { texts: flags.text } : {}),
          ...(flags.description ? { description: flags.description } : {}),
        });
        emit(
          program.opts<GlobalOptions>(),
          () => `task ${name} defined (${flags.branch})`,
          () => task,
        );
      },
      () => program.opts<GlobalOptions>().json === true,
    ),
  );
}

interface TrainingView {
  jobId: string;
  state: string;
  progress: TrainingProgress | null;
  error?: { code: string; message: string };
  report: { promoted?: boolean; reason?: string } | null;
}

export interface RemoteTrainFlags extends RemoteOptions {
  task: string;
  dataset?: string;
  epochs?: string;
  steps?: string;
  ppoEpochs?: string;
  srmMaxEpochs?: string;
  srmAugment?: string;
  seed: string;
}

function progressLine(v: TrainingView): string {
  const p = v.progress;
  if (!p) return v.state;
  const parts = [`${p.phase} ${p.episodesDone}/${p.episodesTotal} episodes`];
  if (p.reward !== null) parts.push(`reward ${p.reward.toFixed(3)}`);
  if (p.srmLoss !== null) parts.push(`SRM loss ${p.srmLoss.toFixed(3)}`);
  if (p.etaSeconds !== null) parts.push(`ETA ${Math.round(p.etaSeconds)} s`);
  return parts.join(", ");
}

/** `alignsam train --remote --task T --dataset ID`: a training run on the service, followed to its report. */
export async function trainRemote(program: Command, flags: RemoteTrainFlags): Promise<void> {
  if (!flags.dataset) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      "--remote needs --dataset <id> (from `alignsam datasets upload`)",
    );
  }
  const global = program.opts<GlobalOptions>();
  const remote = connect(flags);
  const options = {
    episodes: optionalInt(flags.epochs, "--epochs", 1),
    steps: stepsOption(flags.steps),
    ppoEpochs: optionalInt(flags.ppoEpochs, "--ppo-epochs", 1),
    srmMaxEpochs: optionalInt(flags.srmMaxEpochs, "--srm-max-epochs", 1),
    srmAugment: optionalInt(flags.srmAugment, "--srm-augment"),
    seed: optionalInt(flags.seed, "--seed"),
  };
  const task = encodeURIComponent(flags.task);
  const accepted = await remote.request<{ jobId: string }>("POST", `/v1/tasks/${task}/trainings`, {
    dataset: flags.dataset,
    options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  });
  const path = `/v1/tasks/${task}/trainings/${encodeURIComponent(accepted.jobId)}`;
  let view = await remote.request<TrainingView>("GET", path);
  let last = "";
  while (view.state === "queued" || view.state === "running") {
    const line = progressLine(view);
    if (!global.json && line !== last) process.stderr.write(`${line}\n`);
    last = line;
    await sleep(POLL_MS);
    view = await remote.request<TrainingView>("GET", path);
  }
  emit(
    global,
    () =>
      view.state === "succeeded"
        ? `training ${view.jobId}: ${view.report?.promoted ? "promoted" : "not promoted"}${view.report?.reason ? ` (${view.report.reason})` : ""}`
        : `training ${view.jobId} failed: ${view.error?.code}: ${view.error?.message}`,
    () => view,
  );
  if (view.state === "failed") process.exitCode = 1;
}
