/**
 * The models a policy card names, opened once per worker process: the classic segmenter for the
 * card's encoder (handcrafted: the threaded one the engine starts with; learned/combined: the
 * CenterNet-backed one, created on first need) and the explicit branch's prior (the built-in
 * CenterNet detector, or M_c = 1). Nothing CenterNet-related is loaded until a policy asks for it,
 * so a worker that serves only handcrafted policies starts as light as before.
 */
import { AlignSamError } from "@alignsam/core/light";
import { CLASSIC_MODEL_ID, type ClassicEncoder } from "@alignsam/core/models/classic";
import type { PromptableSegmenter, VisionLanguagePrior } from "@alignsam/core/models/ports";
import type { PolicyCard } from "@alignsam/core/policy";

/**
 * The CenterNet module of @alignsam/core, imported on first use: a worker whose policies never name
 * it does not pay for loading it.
 */
const centernet = () => import("@alignsam/core/models/centernet");

/** M_c as segmentImage/trainPolicy take it: a model, "none" (M_c = 1), or undefined (implicit branch). */
export type PriorChoice = VisionLanguagePrior | "none" | undefined;

export interface PolicyModels {
  readonly segmenter: PromptableSegmenter;
  readonly prior: PriorChoice;
}

export interface PolicyModelsOptions {
  /** The handcrafted segmenter (already wrapped by the engine). */
  readonly handcrafted: PromptableSegmenter;
  /** Wraps a newly opened segmenter the way the handcrafted one is (embedding cache, event-loop turns). */
  readonly wrap: (segmenter: PromptableSegmenter) => PromptableSegmenter;
}

/** Resolves cards to models, keeping every segmenter and the prior it opens for the process's life. */
export interface PolicyModelResolver {
  /** The segmenter and prior to run (or retrain) a policy with this card. */
  forCard(card: PolicyCard): Promise<PolicyModels>;
  /**
   * Whether this worker can run a policy with this card's segmenter: any classic encoder on a
   * classic worker (the learned and combined ones are opened on need), else exactly the worker's
   * own model (backend, model id and embedding shape). A SAM worker runs no classic card.
   */
  serves(card: PolicyCard): boolean;
  /** Models for a task that has no policy yet: the handcrafted segmenter, M_c = 1 on the explicit branch. */
  defaults(branch: "implicit" | "explicit"): PolicyModels;
  /** Which encoders have been opened so far (for tests and logs). */
  readonly opened: readonly string[];
}

export function createPolicyModelResolver(options: PolicyModelsOptions): PolicyModelResolver {
  const segmenters = new Map<ClassicEncoder, Promise<PromptableSegmenter>>();
  segmenters.set("handcrafted", Promise.resolve(options.handcrafted));
  let centerNetPrior: Promise<VisionLanguagePrior> | undefined;

  const encoderOf = async (card: PolicyCard): Promise<ClassicEncoder> => {
    const id = card.segmenter.modelId;
    if (card.segmenter.backend !== "classic" || id === options.handcrafted.info.modelId) return "handcrafted";
    if (id === CLASSIC_MODEL_ID) return "handcrafted";
    // Any other classic id: learned or combined (anything else is refused by the policy's compat check).
    return (await centernet()).encoderOfModelId(id) ?? "handcrafted";
  };

  const segmenterFor = (encoder: ClassicEncoder): Promise<PromptableSegmenter> => {
    let hit = segmenters.get(encoder);
    if (!hit) {
      hit = centernet()
        .then((m) => m.openClassicSegmenter({ encoder }))
        .then(options.wrap);
      hit.catch(() => segmenters.delete(encoder));
      segmenters.set(encoder, hit);
    }
    return hit;
  };

  const priorFor = async (card: PolicyCard): Promise<PriorChoice> => {
    if (card.prior.kind === "unused") return undefined;
    if (card.prior.kind === "none") return "none";
    const { backend, modelId } = card.prior;
    if (backend !== "centernet") {
      throw new AlignSamError(
        "PRIOR_UNAVAILABLE",
        `the policy for task "${card.task.name}" was trained with the ${backend} prior ${modelId}; this worker has only the built-in CenterNet prior`,
        { backend, modelId },
      );
    }
    centerNetPrior ??= centernet().then((m) => m.createCenterNetPrior());
    const prior = await centerNetPrior;
    if (prior.info.modelId !== modelId) {
      throw new AlignSamError(
        "POLICY_INCOMPATIBLE",
        `the policy for task "${card.task.name}" was trained with the prior ${backend}/${modelId}, this worker has ${prior.info.backend}/${prior.info.modelId}`,
        { policy: card.prior, prior: prior.info },
      );
    }
    return prior;
  };

  return {
    async forCard(card) {
      const [segmenter, prior] = await Promise.all([encoderOf(card).then(segmenterFor), priorFor(card)]);
      return { segmenter, prior };
    },
    serves(card) {
      const own = options.handcrafted.info;
      const want = card.segmenter;
      if (want.backend === "classic" && own.backend === "classic") return true;
      return (
        want.backend === own.backend &&
        want.modelId === own.modelId &&
        want.embeddingShape.length === own.embeddingShape.length &&
        want.embeddingShape.every((v, i) => v === own.embeddingShape[i])
      );
    },
    defaults(branch) {
      return { segmenter: options.handcrafted, prior: branch === "explicit" ? "none" : undefined };
    },
    get opened() {
      return [...segmenters.keys()];
    },
  };
}
