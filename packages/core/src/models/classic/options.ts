/**
 * Settings of the classic backend, validated with zod because they arrive from configuration files
 * and CLI flags. The defaults are the ones measured by `bench/core/oracle-clicks.ts`; a
 * change to any of them changes decoded masks, so it must come with a bump of CLASSIC_MODEL_ID.
 */
import { z } from "zod";
import { AlignSamError } from "../../errors.ts";

/** Recorded by policies trained on this backend; bump when features or decoding change. */
export const CLASSIC_MODEL_ID = "classic-v1";

/** Side of the square embedding grid (the agent's state resolution, like SAM's 64 x 64). */
export const CLASSIC_EMBEDDING_SIZE = 64;

/** Side of the low-res logits, like SAM's 256 x 256. */
export const CLASSIC_LOW_RES_SIZE = 256;

/**
 * What E_I(x) is made of: the handcrafted cues (weight-free), CenterNet backbone features
 * ("learned", models/centernet), or both concatenated. Learned encoders load a model, so they are
 * opened with `openClassicSegmenter` / `createLearnedClassicSegmenter`, not `createClassicSegmenter`.
 */
export const CLASSIC_ENCODERS = ["handcrafted", "learned", "combined"] as const;
export type ClassicEncoder = (typeof CLASSIC_ENCODERS)[number];

export const ClassicOptionsSchema = z.object({
  /** Embedding (and click-similarity) features. @default "handcrafted" */
  encoder: z.enum(CLASSIC_ENCODERS).default("handcrafted"),
  /** Long side (px) of the working resolution features and superpixels are computed at. @default 320 */
  workingLongSide: z.number().int().min(32).max(2048).default(320),
  /** SLIC grid step (working px): about the side of one superpixel. @default 10 */
  superpixelStep: z.number().min(3).max(64).default(10),
  /** SLIC compactness m (Lab units per grid step). @default 10 */
  compactness: z.number().positive().default(10),
  /** SLIC iterations. @default 6 */
  slicIterations: z.number().int().min(1).max(30).default(6),
  /** Random-walker contrast beta on mean-normalised feature distances. @default 4 */
  beta: z.number().positive().default(4),
  /** Strength of the feature-similarity prior relative to the mean node degree. @default 0.03 */
  priorStrength: z.number().min(0).default(0.03),
  /** Temperature of the similarity prior, in mean neighbour distances. @default 2 */
  priorTemperature: z.number().positive().default(2),
  /** Strength of the implicit background prior on border nodes while no negative click exists. @default 0.5 */
  borderStrength: z.number().min(0).default(0.5),
  /**
   * Border nodes closer than this (in mean neighbour distances, squared-feature units) to a positive
   * click are not taken as implicit background: a click on a blurred backdrop or a shadow that
   * touches the frame must not be fought by the border prior. @default 3
   */
  borderGuard: z.number().min(0).default(3),
  /** Move mask edges inside superpixels onto colour edges (pixel-level blend). @default true */
  pixelRefine: z.boolean().default(true),
  /**
   * Strength of a previous mask (maskInput) as a prior, relative to the mean node degree. Kept weak:
   * a strong one makes errors of earlier steps stick against later clicks. @default 0.1
   */
  maskInputStrength: z.number().min(0).default(0.1),
});

export type ClassicOptions = z.input<typeof ClassicOptionsSchema>;
export type ResolvedClassicOptions = z.output<typeof ClassicOptionsSchema>;

/** Validate options, refusing bad values with INVALID_ARGUMENT and the offending fields. */
export function resolveClassicOptions(options: ClassicOptions = {}): ResolvedClassicOptions {
  const parsed = ClassicOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new AlignSamError("INVALID_ARGUMENT", `invalid classic backend options: ${issues.join("; ")}`, {
      issues,
      validKeys: Object.keys(ClassicOptionsSchema.shape),
    });
  }
  return parsed.data;
}
