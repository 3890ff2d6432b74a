/**
 * What the classic encoder leaves in `Embedding.backendState` for its decoder: the working-resolution
 * superpixel label map and the region graph with its random-walker conductances.
 */
import { AlignSamError } from "../../errors.ts";
import type { Embedding } from "../ports.ts";
import type { PixelBlend } from "./blend.ts";
import type { RegionGraph } from "./graph.ts";
import { CLASSIC_MODEL_ID } from "./options.ts";

export interface ClassicState {
  readonly kind: "classic";
  readonly workWidth: number;
  readonly workHeight: number;
  /** Working pixel -> node id. */
  readonly labels: Int32Array;
  readonly graph: RegionGraph;
  /** Random-walker conductance per CSR edge of `graph`. */
  readonly edgeWeights: Float32Array;
  /** Mean weighted feature distance between neighbours: the unit of the similarity prior. */
  readonly meanNeighbourDistance: number;
  /** Node-major features pre-multiplied by sqrt(prior weight), only the weighted dimensions. */
  readonly priorFeatures: Float32Array;
  readonly priorDims: number;
  /** Low-res (lowResSize^2) cell -> working pixel index (nearest). */
  readonly lowResPixels: Int32Array;
  /** Per-pixel blend of node probabilities; absent when pixel refinement is off. */
  readonly blend?: PixelBlend;
  /** Mean node degree (sum of conductances): the unit prior strengths are given in. */
  readonly meanDegree: number;
}

/** The classic state of an embedding, or MODEL_MISMATCH when another backend produced it. */
export function classicStateOf(embedding: Embedding): ClassicState {
  const state = embedding.backendState as Partial<ClassicState> | undefined;
  if (state?.kind !== "classic" || embedding.modelId !== CLASSIC_MODEL_ID) {
    throw new AlignSamError(
      "MODEL_MISMATCH",
      `this embedding was produced by model "${embedding.modelId}", not by the classic backend (${CLASSIC_MODEL_ID}); encode the image with the same segmenter that decodes it`,
      { expected: CLASSIC_MODEL_ID, actual: embedding.modelId },
    );
  }
  return state as ClassicState;
}
