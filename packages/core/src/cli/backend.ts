/**
 * The models a command runs: the classic segmenter by default, an ONNX SAM package with
 * `--sam-manifest`, and a CLIP Surgery prior with `--clip-manifest` (the explicit branch's M_c).
 * Whatever is chosen must match the policy card; `assertCompatible` in the pipeline says so if not.
 */
import { AlignSamError } from "../errors.ts";
import { createClassicSegmenter } from "../models/classic/index.ts";
import type { PromptableSegmenter, VisionLanguagePrior } from "../models/ports.ts";
import type { PolicyCard } from "../policy/card.ts";
import { assertCompatible } from "../policy/compat.ts";

export interface BackendFlags {
  readonly samManifest?: string;
  readonly clipManifest?: string;
}

export interface Backend {
  readonly segmenter: PromptableSegmenter;
  readonly prior?: VisionLanguagePrior;
  dispose(): Promise<void>;
}

/**
 * Opens the segmenter (and prior) named by the flags; with a card, refuses before any image is touched
 * when the card was made for another model (POLICY_INCOMPATIBLE, saying which flag fixes it).
 */
export async function openBackend(flags: BackendFlags, card?: PolicyCard): Promise<Backend> {
  if (card && card.segmenter.backend !== "classic" && flags.samManifest === undefined) {
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `the policy was trained on ${card.segmenter.backend} model ${card.segmenter.modelId}; pass --sam-manifest with that model's package`,
      { backend: card.segmenter.backend, modelId: card.segmenter.modelId },
    );
  }
  const disposers: (() => Promise<void>)[] = [];
  let segmenter: PromptableSegmenter;
  if (flags.samManifest !== undefined) {
    const { createOnnxSamSegmenter } = await import("../models/onnx-sam/index.ts");
    const sam = await createOnnxSamSegmenter({ manifestUri: flags.samManifest });
    disposers.push(() => sam.dispose());
    segmenter = sam;
  } else {
    segmenter = createClassicSegmenter();
  }
  let prior: VisionLanguagePrior | undefined;
  if (flags.clipManifest !== undefined) {
    const { createClipSurgeryPrior } = await import("../models/clip-surgery/index.ts");
    const clip = await createClipSurgeryPrior({ manifestUri: flags.clipManifest });
    disposers.push(() => clip.dispose());
    prior = clip;
  }
  if (card) {
    try {
      assertCompatible(card, segmenter.info);
    } catch (e) {
      for (const d of disposers) await d();
      throw e;
    }
  }
  return {
    segmenter,
    ...(prior ? { prior } : {}),
    async dispose() {
      for (const d of disposers) await d();
    },
  };
}

/** The commander flags that pick the backend, shared by segment, train and eval. */
export const BACKEND_FLAG_HELP = {
  sam: "ONNX SAM model package (folder, manifest.json, file:// or s3://); default: the classic backend",
  clip: "CLIP Surgery model package: the vision-language prior of explicit-branch tasks (shadow, voc)",
} as const;
