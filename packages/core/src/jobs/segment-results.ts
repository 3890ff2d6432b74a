/**
 * The segment results a viewer reads back, trajectory.json and steps.json: one schema each, for the
 * worker that writes them and the playground that draws them (which imports only their types).
 */
import { z } from "zod";

/** One click of trajectory.json, in the input image's pixel coordinates. */
export const TrajectoryClickSchema = z.object({
  /** 0 for the initial prompts P_0, then 1..T. */
  step: z.int().min(0),
  x: z.number(),
  y: z.number(),
  /** 1 positive, 0 negative. */
  label: z.union([z.literal(0), z.literal(1)]),
  /** Grid cell the agent chose, when the click came from the agent. */
  cell: z.int().min(0).optional(),
  /** The SRM's foreground probability at the click (1 where no SRM decided). */
  score: z.number().optional(),
});
export type TrajectoryClick = z.infer<typeof TrajectoryClickSchema>;

/** trajectory.json: every prompt of the run, in order. */
export const TrajectoryDocumentSchema = z.object({
  v: z.literal(1),
  steps: z.array(TrajectoryClickSchema),
});
export type TrajectoryDocument = z.infer<typeof TrajectoryDocumentSchema>;

const PngMapSchema = z.object({
  width: z.int().positive(),
  height: z.int().positive(),
  /** Greyscale PNG, base64, over the whole image: 0 / 255 for a mask, probability x 255 for the SRM. */
  png: z.base64(),
});

/**
 * steps.json: the answer after the initial prompts and after every click as small mask PNGs, with
 * the SRM map that labelled each step's clicks (packages/gpu-worker/src/handlers/steps-output.ts).
 */
export const StepsDocumentSchema = z.object({
  v: z.literal(1),
  /** The input image's size: masks cover it exactly (upsample to it). */
  width: z.int().positive(),
  height: z.int().positive(),
  steps: z.array(
    PngMapSchema.extend({
      /** 0: after the initial prompts P_0; t: after click t of trajectory.json. */
      step: z.int().min(0),
      /** Clicks placed so far (trajectory entries with step <= this one). */
      clicks: z.int().min(0),
      /** The SRM map y_r that labelled this step's clicks (absent on a path without the SRM). */
      srm: PngMapSchema.optional(),
    }),
  ),
  /** The SRM's last map y_r over the image (R x R); null on a path without the SRM. */
  srm: PngMapSchema.nullable(),
});
export type StepsDocument = z.infer<typeof StepsDocumentSchema>;
