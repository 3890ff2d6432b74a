/**
 * The closed-vocabulary VisionLanguagePrior: a COCO object detector answers "where is a {class}"
 * for the 80 COCO classes (and VOC names for them). It gives the explicit branch a learned M_c on
 * the embedded default where no CLIP weights exist; texts outside the vocabulary are refused.
 */
import { z } from "zod";
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import type { SimilarityMap, VisionLanguagePrior } from "../ports.ts";
import { BUILTIN_CENTERNET_MANIFEST } from "./builtin.ts";
import { type CenterNetLoadOptions, type CenterNetModel, loadCenterNet } from "./model.ts";
import { classBoxes, classHeatmap, PRIOR_MODES, peakNormalise, resampleMax } from "./similarity.ts";
import { CENTERNET_VOCABULARY, resolveCocoClasses } from "./vocabulary.ts";

export const CenterNetPriorOptionsSchema = z.object({
  /** Which detector reading becomes M_c (measured: README.md). @default "both" */
  mode: z.enum(PRIOR_MODES).default("both"),
  /** Detections below this score are not painted ("boxes", "both"). @default 0.05 */
  minScore: z.number().min(0).max(1).default(0.05),
  /** Scale each map to peak 1. @default true */
  normalise: z.boolean().default(true),
});
export type CenterNetPriorOptions = z.input<typeof CenterNetPriorOptionsSchema> & CenterNetLoadOptions;

/** The backend name priors built here record in policy cards. */
export const CENTERNET_PRIOR_BACKEND = "centernet";

/**
 * A prior that loads the detector on first use (opening a backend for an implicit task costs
 * nothing), once per process.
 * @example
 * const prior = createCenterNetPrior();
 * const m = await prior.similarity(image, ["a photo of a tvmonitor"], { width: 16, height: 16 });
 */
export function createCenterNetPrior(options: CenterNetPriorOptions = {}): VisionLanguagePrior {
  const parsed = CenterNetPriorOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `invalid CenterNet prior options: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      { valid: { mode: [...PRIOR_MODES] } },
    );
  }
  const o = parsed.data;
  const load: CenterNetLoadOptions = options.manifestUri ? { manifestUri: options.manifestUri } : {};
  let model: Promise<CenterNetModel> | undefined;
  const suffix = `${o.mode}${o.normalise ? "" : "-raw"}`;
  return {
    info: {
      backend: CENTERNET_PRIOR_BACKEND,
      // Known before the model loads (it loads lazily): the built-in id, or the custom package URI.
      modelId: `${options.manifestUri ? `custom:${options.manifestUri}` : `${BUILTIN_CENTERNET_MANIFEST.id}@${BUILTIN_CENTERNET_MANIFEST.version}`}/${suffix}`,
      vocabulary: CENTERNET_VOCABULARY,
    },
    async similarity(image: RgbImage, texts: readonly string[], grid: { width: number; height: number }) {
      const classes = resolveCocoClasses(texts);
      model ??= loadCenterNet(load);
      const net = await model;
      const out = await net.run(image);
      let map: SimilarityMap;
      const heat = () => resampleMax(classHeatmap(out.heatmap, classes), grid.width, grid.height);
      const boxes = () =>
        classBoxes(out.detections, classes, net.manifest.inputSize, grid.width, grid.height, o.minScore);
      if (o.mode === "heatmap") map = heat();
      else if (o.mode === "boxes") map = boxes();
      else {
        const a = heat();
        const b = boxes();
        map = { ...a, data: Float32Array.from(a.data, (v, i) => Math.max(v, b.data[i])) };
      }
      return o.normalise ? peakNormalise(map) : map;
    },
  };
}
