/**
 * One training run at the paper's settings (E = 50, K = 20, T = 15, 50 images, one episode per PPO
 * update), measured end to end and recorded per phase in docs/benchmarks/paper-training.json, which
 * `npm run bench` renders in its training section. Too long (tens of minutes on 2 shared cores) to
 * repeat on every bench run, so it is its own command:
 *
 *   npm exec -- node bench/paper-training.ts [--task blur] [--encoder handcrafted]
 *   npm exec -- node bench/paper-training.ts --from-card DIR --wall-seconds S --command "..."
 *
 * The second form records a run already made with the CLI (its card's per-phase timings).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
export const PAPER_TRAINING_PATH = join(ROOT, "docs/benchmarks/paper-training.json");

export const PaperTrainingRunSchema = z.object({
  date: z.string(),
  task: z.string(),
  encoder: z.string(),
  images: z.number(),
  epochs: z.number(),
  ppoEpochs: z.number(),
  steps: z.number(),
  episodesPerUpdate: z.number(),
  wallSeconds: z.number(),
  loadAverage: z.array(z.number()),
  timingsMs: z.record(z.string(), z.number()),
  command: z.string(),
  recordCommand: z.string(),
  /** What the reader must know about the run (e.g. which code it measured). */
  note: z.string().optional(),
});
export type PaperTrainingRun = z.infer<typeof PaperTrainingRunSchema>;

/** The recorded run, or undefined when none was recorded (or the file does not parse). */
export async function readPaperTrainingRun(
  path = PAPER_TRAINING_PATH,
): Promise<PaperTrainingRun | undefined> {
  try {
    return PaperTrainingRunSchema.parse(JSON.parse(await readFile(path, "utf8")));
  } catch {
    return undefined;
  }
}

const CardSchema = z.object({
  task: z.object({ name: z.string() }),
  segmenter: z.object({ modelId: z.string() }),
  hyperparameters: z.object({
    steps: z.number(),
    epochs: z.number(),
    ppoEpochs: z.number(),
    episodesPerUpdate: z.number(),
  }),
  trainingSet: z.object({ count: z.number() }),
  training: z.object({ timingsMs: z.record(z.string(), z.number()) }),
});

/** An argument as a shell reads it back (quoted when it holds spaces or quotes). */
const shellWord = (a: string) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

async function record(
  dir: string,
  wallSeconds: number,
  command: string,
  encoder: string,
  note?: string,
): Promise<PaperTrainingRun> {
  const card = CardSchema.parse(JSON.parse(await readFile(join(dir, "card.json"), "utf8")));
  const hp = card.hyperparameters;
  const run: PaperTrainingRun = {
    date: new Date().toISOString(),
    task: card.task.name,
    encoder,
    images: card.trainingSet.count,
    epochs: hp.epochs,
    ppoEpochs: hp.ppoEpochs,
    steps: hp.steps,
    episodesPerUpdate: hp.episodesPerUpdate,
    wallSeconds,
    loadAverage: loadavg(),
    timingsMs: card.training.timingsMs,
    command,
    // The arguments that made the record (the note itself is printed beside it).
    recordCommand: [
      "npm exec -- node bench/paper-training.ts",
      ...process.argv
        .slice(2)
        .filter((a, i, all) => a !== "--note" && all[i - 1] !== "--note")
        .map(shellWord),
    ].join(" "),
    ...(note ? { note } : {}),
  };
  await writeFile(PAPER_TRAINING_PATH, `${JSON.stringify(run, null, 2)}\n`);
  return run;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: {
      task: { type: "string", default: "blur" },
      encoder: { type: "string", default: "handcrafted" },
      "from-card": { type: "string" },
      "wall-seconds": { type: "string" },
      command: { type: "string" },
      note: { type: "string" },
    },
  });
  if (values["from-card"]) {
    const wall = Number(values["wall-seconds"]);
    if (!Number.isFinite(wall) || wall <= 0 || !values.command) {
      throw new Error("--from-card needs --wall-seconds (a positive number) and --command");
    }
    await record(values["from-card"], wall, values.command, values.encoder, values.note);
  } else {
    const out = await mkdtemp(join(tmpdir(), "alignsam-paper-training-"));
    const args = [
      "packages/core/src/cli/main.ts",
      "train",
      ...["--task", values.task, "--samples", "50", "--epochs", "50", "--ppo-epochs", "20"],
      ...["--steps", "15", "--episodes-per-update", "1", "--encoder", values.encoder, "--eval", "0"],
      ...["--out", out],
    ];
    const t0 = performance.now();
    const code = await new Promise<number | null>((ok) =>
      spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] }).on("exit", ok),
    );
    if (code !== 0) throw new Error(`training exited ${code}`);
    const wall = (performance.now() - t0) / 1000;
    const run = await record(out, wall, `npm run alignsam -- ${args.slice(1).join(" ")}`, values.encoder);
    await rm(out, { recursive: true, force: true });
    process.stderr.write(
      `paper settings: ${(run.wallSeconds / 60).toFixed(1)} min -> ${PAPER_TRAINING_PATH}\n`,
    );
  }
}
