/**
 * The classic segmenter with a learned encoder: CenterNet backbone features as E_I(x) ("learned")
 * or beside the handcrafted cues ("combined"), and in the decoder's click-similarity prior. Its
 * model id differs per encoder, so a policy trained on one embedding refuses to run on another.
 */
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import {
  CLASSIC_EMBEDDING_SIZE,
  CLASSIC_MODEL_ID,
  type ClassicEncoder,
  type ClassicOptions,
  createClassicSegmenter,
  FEATURE_NAMES,
  resolveClassicOptions,
} from "../classic/index.ts";
import { classicStateOf } from "../classic/state.ts";
import type { DecodePrompt, Embedding, PromptableSegmenter, SegmenterInfo } from "../ports.ts";
import { learnedPriorState, standardisedPlanes } from "./learned-features.ts";
import { type CenterNetLoadOptions, loadCenterNet } from "./model.ts";

export interface LearnedClassicOptions extends ClassicOptions, CenterNetLoadOptions {
  /** Read this graph node instead of the manifest's `features` (layer measurements only). */
  featureNode?: string;
  /** Total weight of the learned features in the similarity prior, relative to the handcrafted ones. @default 1 */
  learnedWeight?: number;
}

/**
 * The model id of a classic segmenter with this encoder (handcrafted keeps CLASSIC_MODEL_ID): anything
 * that changes the embedding or the decoded masks is in it, so policies cannot cross between them.
 */
export function classicModelId(
  encoder: ClassicEncoder,
  centernetId: string,
  node?: string,
  learnedWeight = 1,
): string {
  if (encoder === "handcrafted") return CLASSIC_MODEL_ID;
  const weight = learnedWeight === 1 ? "" : `~w${learnedWeight}`;
  return `${CLASSIC_MODEL_ID}+${encoder}:${centernetId}${node ? `#${node}` : ""}${weight}`;
}

/** The encoder a classic model id was made with (undefined when it is not a classic id). */
export function encoderOfModelId(modelId: string): ClassicEncoder | undefined {
  if (modelId === CLASSIC_MODEL_ID) return "handcrafted";
  const m = /^classic-v\d+\+(learned|combined):/.exec(modelId);
  return m ? (m[1] as ClassicEncoder) : undefined;
}

/**
 * A classic segmenter with any encoder; "handcrafted" needs no model and returns the plain one.
 * @example
 * const seg = await openClassicSegmenter({ encoder: "combined" });
 */
export async function openClassicSegmenter(
  options: LearnedClassicOptions = {},
): Promise<PromptableSegmenter> {
  const { encoder } = resolveClassicOptions({ encoder: options.encoder });
  if (encoder === "handcrafted") {
    const { manifestUri: _m, featureNode: _f, learnedWeight: _w, ...classic } = options;
    return createClassicSegmenter(classic);
  }
  return createLearnedClassicSegmenter(options);
}

/** Loads CenterNet (once per process) and wraps the handcrafted classic segmenter around it. */
export async function createLearnedClassicSegmenter(
  options: LearnedClassicOptions,
): Promise<PromptableSegmenter> {
  const { manifestUri, featureNode, learnedWeight = 1, ...classic } = options;
  const { encoder } = resolveClassicOptions(classic);
  if (encoder === "handcrafted") {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      'createLearnedClassicSegmenter needs encoder "learned" or "combined"',
      {
        valid: ["learned", "combined"],
      },
    );
  }
  const base = createClassicSegmenter({ ...classic, encoder: "handcrafted" });
  const net = await loadCenterNet(manifestUri ? { manifestUri } : {});
  const size = CLASSIC_EMBEDDING_SIZE;
  const spec = net.manifest.graph.outputs.features;
  let learnedChannels = Number(spec.shape[3]);
  if (featureNode !== undefined) {
    const probe = await net.runNodes({ width: 8, height: 8, data: new Uint8Array(192) }, [featureNode]);
    learnedChannels = probe[0].shape[3];
  }
  const channels = learnedChannels + (encoder === "combined" ? FEATURE_NAMES.length : 0);
  const info: SegmenterInfo = {
    backend: "classic",
    modelId: classicModelId(encoder, net.modelId, featureNode, learnedWeight),
    embeddingShape: [channels, size, size],
    lowResSize: base.info.lowResSize,
  };

  function own(embedding: Embedding): Embedding {
    if (embedding.modelId !== info.modelId) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `this embedding was produced by model "${embedding.modelId}", not by ${info.modelId}; encode the image with the same segmenter that decodes it`,
        { expected: info.modelId, actual: embedding.modelId },
      );
    }
    // The classic decoder reads only the state; it checks the handcrafted id it was built with.
    return { ...embedding, modelId: CLASSIC_MODEL_ID };
  }

  return {
    info,
    async encode(image: RgbImage): Promise<Embedding> {
      const [handcrafted, features] = await Promise.all([
        base.encode(image),
        featureNode === undefined
          ? net.run(image).then((o) => o.features)
          : net.runNodes(image, [featureNode]).then((o) => o[0]),
      ]);
      const planes = standardisedPlanes(features, size);
      const state = learnedPriorState(
        classicStateOf(handcrafted),
        planes,
        learnedChannels,
        size,
        encoder,
        learnedWeight,
      );
      const data = new Float32Array(channels * size * size);
      if (encoder === "combined") {
        data.set(handcrafted.data);
        data.set(planes, handcrafted.data.length);
      } else data.set(planes);
      return { ...handcrafted, modelId: info.modelId, channels, data, backendState: state };
    },
    async decode(embedding: Embedding, prompt: DecodePrompt) {
      return base.decode(own(embedding), prompt);
    },
    async decodeBatch(embedding: Embedding, prompts: readonly DecodePrompt[]) {
      const e = own(embedding);
      return Promise.all(prompts.map((p) => base.decode(e, p)));
    },
  };
}
