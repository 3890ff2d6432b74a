/**
 * The parts of docs/EVALUATION.md that separate, longer runs measure and save into the JSON folder,
 * appended to the report when present: training time at the paper's settings
 * (bench/core/train-time.ts --json), the comparison with earlier policies
 * (bench/core/compare-previous.ts) and the implicit-vs-explicit branch table (paper Table 4,
 * bench/core/branch-table.ts: it trains three policies per task).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** Everything appended below the tasks, in the report's order. */
export async function appendedSections(jsonDir: string): Promise<string> {
  return (
    (await trainTimeSection(jsonDir)) +
    (await optionalSection(jsonDir, "previous-policies.md")) +
    (await optionalSection(jsonDir, "branch-table.md"))
  );
}

/** A Markdown fragment another bench wrote into the JSON folder, or nothing. */
async function optionalSection(jsonDir: string, file: string): Promise<string> {
  try {
    return `\n${await readFile(join(jsonDir, file), "utf8")}`;
  } catch {
    return "";
  }
}

interface TrainTimeJson {
  command: string;
  startedAt: string;
  machine: { cpu: string; cores: number; node: string; tfBackend: string; loadAverageAtStart: number[] };
  task: string;
  trainImages: number;
  settings: { epochs: number; ppoEpochs: number; steps: number; episodesPerUpdate: number; reward: string };
  episodes: number;
  timingsMs: Record<string, number> & { totalMs: number };
  cpuSeconds: number;
  heldOut: { images: number; mIoU: Record<string, number>; pairedIou?: { mean: number; se: number } };
}

/** Training time at the paper's settings (E = 50, K = 20, T = 15, 50 images), or nothing. */
async function trainTimeSection(jsonDir: string): Promise<string> {
  let t: TrainTimeJson;
  try {
    t = JSON.parse(await readFile(join(jsonDir, "train-time.json"), "utf8")) as TrainTimeJson;
  } catch {
    return "";
  }
  const s = (ms: number) => (ms / 1000).toFixed(0);
  const rows = Object.entries(t.timingsMs)
    .filter(([k]) => k !== "totalMs")
    .map(([k, v]) => `| ${k.replace(/Ms$/, "")} | ${s(v)} |`);
  const h = t.settings;
  const held = t.heldOut.pairedIou
    ? `\nThe E = ${h.epochs} policy on ${t.heldOut.images} held-out images: mIoU ${t.heldOut.mIoU.none.toFixed(2)} ` +
      `against ${t.heldOut.mIoU["no-rl"].toFixed(2)} for random clicks (paired difference ` +
      `${t.heldOut.pairedIou.mean >= 0 ? "+" : ""}${t.heldOut.pairedIou.mean.toFixed(2)}, standard error ` +
      `${t.heldOut.pairedIou.se.toFixed(2)}).\n`
    : "";
  return [
    "",
    "## Training time at the paper's settings",
    "",
    `Task ${t.task}, ${t.trainImages} training images, E = ${h.epochs}, K = ${h.ppoEpochs}, T = ${h.steps}, ` +
      `${t.episodes} episodes (PPO update every ${h.episodesPerUpdate} episodes), reward ${h.reward}, ` +
      `on ${t.machine.cpu} (${t.machine.cores} cores; load average ${t.machine.loadAverageAtStart[0].toFixed(1)} at ` +
      `the start), Node ${t.machine.node}, TensorFlow.js ${t.machine.tfBackend}, one process.`,
    "",
    `**${(t.timingsMs.totalMs / 60_000).toFixed(1)} min wall** (${(t.cpuSeconds / 60).toFixed(1)} min CPU). Where it went (s):`,
    "",
    "| stage | s |",
    "| --- | ---: |",
    ...rows,
    `| **total** | **${s(t.timingsMs.totalMs)}** |`,
    held,
    `Command: \`${t.command}\` (started ${t.startedAt}).`,
    "",
  ].join("\n");
}
