/**
 * `alignsam segment <image...> --task T`: segments images with a trained policy and writes, per
 * image, the mask, the probability map, COCO RLE, the clicks (trajectory) and an overlay.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { AlignSamError } from "../../errors.ts";
import { decodeImage } from "../../image/decode.ts";
import { renderOverlay } from "../../mask/overlay.ts";
import { encodeMaskPng, encodeProbabilityPng } from "../../mask/png.ts";
import { encodeRle } from "../../mask/rle.ts";
import { segmentImage } from "../../pipeline/segment.ts";
import { BACKEND_FLAG_HELP, openBackend } from "../backend.ts";
import { defaultPolicyDir, listOption, loadTaskPolicy, optionalInt, taskOption } from "../options.ts";
import { action, emit, type GlobalOptions } from "../output.ts";
import { startProgress } from "../progress.ts";

export const SEGMENT_OUTPUTS = ["mask", "probability", "rle", "trajectory", "overlay"] as const;
export type SegmentOutput = (typeof SEGMENT_OUTPUTS)[number];

interface SegmentFlags {
  task: string;
  policy?: string;
  out: string;
  steps?: string;
  sampled?: boolean;
  seed: string;
  outputs: string;
  texts?: string;
  class?: string;
  samManifest?: string;
  clipManifest?: string;
  encoder?: string;
  prior?: string;
}

/** One line of the command's answer (the `--json` array holds these). */
export interface SegmentedImage {
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly foreground: number;
  readonly clicks: number;
  readonly ms: number;
  readonly files: Record<string, string>;
}

/** Output file stems must not collide: two `x.jpg` from different folders would overwrite each other. */
function stems(paths: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return paths.map((p) => {
    const stem = basename(p, extname(p));
    const other = seen.get(stem);
    if (other !== undefined) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `${other} and ${p} would both write ${stem}.*; segment them in separate runs or rename one`,
      );
    }
    seen.set(stem, p);
    return stem;
  });
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `cannot read image ${path}: ${code === "ENOENT" ? "no such file" : "it is a folder"}`,
      );
    }
    throw e;
  }
}

/** Registers `segment`. */
export function registerSegmentCommand(program: Command): void {
  program
    .command("segment")
    .description("segment images with a trained policy: mask, probability, RLE, clicks and overlay per image")
    .argument("<image...>", "JPEG, PNG or WebP files")
    .requiredOption("--task <task>", "task the policy was trained for")
    .option("--policy <dir>", "policy folder or s3://bucket/prefix (default: <repo>/policies/<task>/)")
    .option("--out <dir>", "output folder", "alignsam-segment")
    .option("--steps <n>", "clicks T (default: the policy's training T)")
    .option("--sampled", "sample clicks from the policy instead of taking its argmax", false)
    .option("--seed <n>", "seed of sampled clicks", "0")
    .option("--outputs <list>", `files to write: ${SEGMENT_OUTPUTS.join(",")}`, SEGMENT_OUTPUTS.join(","))
    .option(
      "--texts <list>",
      "comma-separated texts for the prior (class-prompted tasks such as voc: the class)",
    )
    .option(
      "--class <name>",
      "the class to segment, for class-prompted tasks (voc): short for --texts <name>",
    )
    .option("--sam-manifest <uri>", BACKEND_FLAG_HELP.sam)
    .option("--clip-manifest <uri>", BACKEND_FLAG_HELP.clip)
    .option("--encoder <name>", BACKEND_FLAG_HELP.encoder)
    .option("--prior <name>", BACKEND_FLAG_HELP.prior)
    .action(
      action(
        async (images: string[], flags: SegmentFlags) => {
          const global = program.opts<GlobalOptions>();
          const task = taskOption(flags.task);
          const outputs = new Set(listOption(flags.outputs, "--outputs", SEGMENT_OUTPUTS));
          const steps = optionalInt(flags.steps, "--steps");
          const seed = optionalInt(flags.seed, "--seed") ?? 0;
          if (flags.class !== undefined && flags.texts !== undefined) {
            throw new AlignSamError("INVALID_ARGUMENT", "pass either --class or --texts, not both");
          }
          const texts = (flags.texts ?? flags.class)
            ?.split(",")
            .map((t) => t.trim())
            .filter((t) => t !== "");
          const names = stems(images);
          const policyUri = flags.policy ?? defaultPolicyDir(task.name);
          const policy = await loadTaskPolicy(policyUri, task);
          const backend = await openBackend(flags, policy.card);
          const out = resolve(flags.out);
          await mkdir(out, { recursive: true });
          const results: SegmentedImage[] = [];
          const progress = startProgress("segment", images.length, { plain: global.json === true });
          try {
            for (const [i, path] of images.entries()) {
              const image = await decodeImage(await readInput(path));
              const result = await segmentImage(image, policy, {
                segmenter: backend.segmenter,
                ...(backend.prior ? { prior: backend.prior } : {}),
                ...(steps !== undefined ? { steps } : {}),
                ...(texts && texts.length > 0 ? { texts } : {}),
                greedy: !flags.sampled,
                seed,
              });
              const files: Record<string, string> = {};
              const write = async (
                kind: SegmentOutput,
                suffix: string,
                bytes: () => Promise<Uint8Array> | Uint8Array,
              ) => {
                if (!outputs.has(kind)) return;
                const file = join(out, `${names[i]}.${suffix}`);
                await writeFile(file, await bytes());
                files[kind] = file;
              };
              const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
              const clicks = result.trajectory.filter((s) => s.step > 0);
              await write("mask", "mask.png", () => encodeMaskPng(result.mask));
              await write("probability", "probability.png", () => encodeProbabilityPng(result.probability));
              await write("rle", "rle.json", () => json(encodeRle(result.mask)));
              await write("trajectory", "trajectory.json", () =>
                json({
                  image: path,
                  task: task.name,
                  policy: policyUri,
                  width: image.width,
                  height: image.height,
                  greedy: !flags.sampled,
                  seed,
                  steps: clicks.length,
                  points: result.trajectory.map((s) => [s.point.x, s.point.y]),
                  labels: result.trajectory.map((s) => s.label),
                  trajectory: result.trajectory,
                  timings: result.timings,
                }),
              );
              await write("overlay", "overlay.png", () =>
                renderOverlay(
                  image,
                  result.mask,
                  result.trajectory.map((s) => ({ x: s.point.x, y: s.point.y, label: s.label })),
                ),
              );
              let fg = 0;
              for (const v of result.mask.data) fg += v;
              results.push({
                image: path,
                width: image.width,
                height: image.height,
                foreground: fg / result.mask.data.length,
                clicks: clicks.length,
                ms: result.timings.totalMs,
                files,
              });
              progress.increment();
            }
          } finally {
            progress.stop();
            policy.dispose();
            await backend.dispose();
          }
          emit(
            global,
            () =>
              results
                .map(
                  (r) =>
                    `${r.image}: foreground ${(100 * r.foreground).toFixed(1)}%, ${r.clicks} clicks, ${r.ms.toFixed(0)} ms -> ${out}`,
                )
                .join("\n"),
            () => results,
          );
        },
        () => program.opts<GlobalOptions>().json === true,
      ),
    );
}
