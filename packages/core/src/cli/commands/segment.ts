/**
 * `alignsam segment <image...> --task T`: segments images with a trained policy and writes, per
 * image, the mask, the probability map, COCO RLE, the clicks (trajectory) and an overlay; with
 * `--coco`, also one COCO instances document for the whole run.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { AlignSamError, isAlignSamError } from "../../errors.ts";
import { buildCocoInstances, type CocoImageEntry } from "../../export/coco.ts";
import { decodeImage } from "../../image/decode.ts";
import { renderOverlay } from "../../mask/overlay.ts";
import { encodeMaskPng, encodeProbabilityPng } from "../../mask/png.ts";
import { type CompressedRle, decodeRle, encodeRle } from "../../mask/rle.ts";
import { segmentImage } from "../../pipeline/segment.ts";
import { BACKEND_FLAG_HELP, openBackend } from "../backend.ts";
import {
  defaultPolicyDir,
  listOption,
  loadTaskPolicy,
  optionalInt,
  stepsOption,
  taskOption,
} from "../options.ts";
import { action, emit, type GlobalOptions } from "../output.ts";
import { startProgress } from "../progress.ts";
import { expandInputs, outputStems, readInput } from "../segment-inputs.ts";

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
  coco?: string;
  polygons?: boolean;
}

/** One line of the command's answer (the `--json` array holds these). */
export interface SegmentedImage {
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly foreground: number;
  /** Prompt points in the trajectory: the initial prompts P_0 (from the SRM map) plus the clicks. */
  readonly points: number;
  /** P_0: the SRM map's most and least confident positions (1 when they coincide). */
  readonly initialPrompts: number;
  /** The agent's clicks (T). */
  readonly clicks: number;
  readonly ms: number;
  readonly files: Record<string, string>;
}

/** An image of the batch that could not be segmented, and why. */
export interface FailedImage {
  readonly image: string;
  readonly code: string;
  readonly message: string;
}

/** "17 points (2 initial + 15 clicks)": the trajectory's size, in the words the paper uses. */
export function describePoints(r: Pick<SegmentedImage, "points" | "initialPrompts" | "clicks">): string {
  return `${r.points} points (${r.initialPrompts} initial + ${r.clicks} clicks)`;
}

/** Writes one image's files, all or none: a failure midway removes the ones already written. */
async function writeAll(out: string, files: readonly { path: string; bytes: Uint8Array }[]): Promise<void> {
  // Created only now, when an image's results are ready: a run where every image fails leaves nothing.
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  try {
    for (const f of files) {
      await writeFile(f.path, f.bytes);
      written.push(f.path);
    }
  } catch (e) {
    await Promise.all(written.map((w) => rm(w, { force: true })));
    throw e;
  }
}

function failureOf(image: string, e: unknown): FailedImage {
  if (isAlignSamError(e)) return { image, code: e.code, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { image, code: (err as NodeJS.ErrnoException).code ?? err.name, message: err.message };
}

/** Registers `segment`. */
export function registerSegmentCommand(program: Command): void {
  program
    .command("segment")
    .description("segment images with a trained policy: mask, probability, RLE, clicks and overlay per image")
    .argument("<image...>", "JPEG, PNG or WebP files, or folders of them (not recursive)")
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
    .option(
      "--coco <file>",
      "also write one COCO instances JSON of every image segmented (file_name: the image's name; failed images left out)",
    )
    .option(
      "--polygons",
      "with --coco: polygons in segmentation, the exact RLE in each annotation's rle",
      false,
    )
    .action(
      action(
        async (args: string[], flags: SegmentFlags) => {
          const global = program.opts<GlobalOptions>();
          const task = taskOption(flags.task);
          const outputs = new Set(listOption(flags.outputs, "--outputs", SEGMENT_OUTPUTS));
          const steps = stepsOption(flags.steps);
          const seed = optionalInt(flags.seed, "--seed") ?? 0;
          if (flags.class !== undefined && flags.texts !== undefined) {
            throw new AlignSamError("INVALID_ARGUMENT", "pass either --class or --texts, not both");
          }
          if (flags.polygons && flags.coco === undefined) {
            throw new AlignSamError(
              "INVALID_ARGUMENT",
              "--polygons shapes the --coco file: pass --coco <file> too",
            );
          }
          const cocoPath = flags.coco === undefined ? undefined : resolve(flags.coco);
          const texts = (flags.texts ?? flags.class)
            ?.split(",")
            .map((t) => t.trim())
            .filter((t) => t !== "");
          const images = await expandInputs(args);
          const names = outputStems(images);
          const policyUri = flags.policy ?? defaultPolicyDir(task.name);
          const policy = await loadTaskPolicy(policyUri, task);
          const backend = await openBackend(flags, policy.card);
          const out = resolve(flags.out);
          const results: SegmentedImage[] = [];
          const failed: FailedImage[] = [];
          const errors: unknown[] = [];
          // For --coco: each image's RLE (compact), decoded again one at a time when the file is built.
          const cocoImages: (CocoImageEntry & { rle: CompressedRle })[] = [];
          const progress = startProgress("segment", images.length, { plain: global.json === true });
          const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
          try {
            // One image that cannot be read, decoded or segmented is named and skipped, not fatal.
            for (const [i, path] of images.entries()) {
              try {
                const image = await decodeImage(await readInput(path));
                const result = await segmentImage(image, policy, {
                  segmenter: backend.segmenter,
                  ...(backend.prior ? { prior: backend.prior } : {}),
                  ...(steps !== undefined ? { steps } : {}),
                  ...(texts && texts.length > 0 ? { texts } : {}),
                  greedy: !flags.sampled,
                  seed,
                });
                const clicks = result.trajectory.filter((s) => s.step > 0).length;
                const encoders: Record<SegmentOutput, [string, () => Promise<Uint8Array> | Uint8Array]> = {
                  mask: ["mask.png", () => encodeMaskPng(result.mask)],
                  probability: ["probability.png", () => encodeProbabilityPng(result.probability)],
                  rle: ["rle.json", () => json(encodeRle(result.mask))],
                  trajectory: [
                    "trajectory.json",
                    () =>
                      json({
                        image: path,
                        task: task.name,
                        policy: policyUri,
                        width: image.width,
                        height: image.height,
                        greedy: !flags.sampled,
                        seed,
                        steps: clicks,
                        points: result.trajectory.map((s) => [s.point.x, s.point.y]),
                        labels: result.trajectory.map((s) => s.label),
                        trajectory: result.trajectory,
                        timings: result.timings,
                      }),
                  ],
                  overlay: [
                    "overlay.png",
                    () =>
                      renderOverlay(
                        image,
                        result.mask,
                        result.trajectory.map((s) => ({ x: s.point.x, y: s.point.y, label: s.label })),
                      ),
                  ],
                };
                const files: Record<string, string> = {};
                const pending: { path: string; bytes: Uint8Array }[] = [];
                for (const kind of SEGMENT_OUTPUTS) {
                  if (!outputs.has(kind)) continue;
                  const [suffix, encode] = encoders[kind];
                  const file = join(out, `${names[i]}.${suffix}`);
                  pending.push({ path: file, bytes: await encode() });
                  files[kind] = file;
                }
                await writeAll(out, pending);
                if (cocoPath) {
                  cocoImages.push({
                    id: cocoImages.length + 1,
                    fileName: basename(path),
                    width: image.width,
                    height: image.height,
                    rle: encodeRle(result.mask),
                  });
                }
                let fg = 0;
                for (const v of result.mask.data) fg += v;
                results.push({
                  image: path,
                  width: image.width,
                  height: image.height,
                  foreground: fg / result.mask.data.length,
                  points: result.trajectory.length,
                  initialPrompts: result.trajectory.length - clicks,
                  clicks,
                  ms: result.timings.totalMs,
                  files,
                });
              } catch (e) {
                // A lone image keeps its own error (code and details) as the command's error.
                if (images.length === 1) throw e;
                const failure = failureOf(path, e);
                failed.push(failure);
                errors.push(e);
                if (!global.json)
                  process.stderr.write(`segment: ${path}: ${failure.code}: ${failure.message}\n`);
              }
              progress.increment();
            }
          } finally {
            progress.stop();
            policy.dispose();
            await backend.dispose();
          }
          // One category: the class segmented (--class) or the task.
          const category = flags.class ?? task.name;
          let annotations = 0;
          if (cocoPath && cocoImages.length > 0) {
            const masks = function* () {
              for (const c of cocoImages) yield { imageId: c.id, category, mask: decodeRle(c.rle) };
            };
            const doc = buildCocoInstances(cocoImages, masks(), {
              polygons: flags.polygons === true,
              categories: [category],
            });
            annotations = doc.annotations.length;
            await mkdir(dirname(cocoPath), { recursive: true });
            await writeFile(cocoPath, `${JSON.stringify(doc)}\n`);
          }
          emit(
            global,
            () =>
              [
                ...results.map(
                  (r) =>
                    `${r.image}: foreground ${(100 * r.foreground).toFixed(1)}%, ${describePoints(r)}, ${r.ms.toFixed(0)} ms -> ${out}`,
                ),
                ...(images.length > 1 ? [`segment: ${results.length} ok, ${failed.length} failed`] : []),
                ...(cocoPath && cocoImages.length > 0
                  ? [
                      `coco: ${cocoPath}: ${cocoImages.length} images, ${annotations} annotations${
                        failed.length > 0 ? `; left out: ${failed.map((f) => f.image).join(", ")}` : ""
                      }`,
                    ]
                  : []),
              ].join("\n"),
            () => results,
          );
          if (failed.length > 0) {
            // The batch's code is its first user-actionable one; only unexpected errors (bugs) stay raw.
            const known = errors.find((e): e is AlignSamError => isAlignSamError(e));
            if (!known) throw errors[0];
            const listed = failed.slice(0, 5).map((f) => `${f.image} (${f.code})`);
            throw new AlignSamError(
              known.code,
              `${failed.length} of ${images.length} images failed: ${listed.join(", ")}${failed.length > 5 ? ", ..." : ""}`,
              { failed, ok: results.length },
            );
          }
        },
        () => program.opts<GlobalOptions>().json === true,
      ),
    );
}
