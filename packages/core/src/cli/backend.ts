/**
 * The models a command runs: the classic segmenter by default (its encoder from `--encoder`,
 * `ALIGNSAM_CLASSIC_ENCODER` or the policy card), an ONNX SAM package with `--sam-manifest`; the
 * explicit branch's M_c from a CLIP Surgery package with `--clip-manifest` (open vocabulary), else
 * the built-in CenterNet detector (the 80 COCO classes), or none with `--prior none`.
 * Whatever is chosen must match the policy card; `assertCompatible` in the pipeline says so if not.
 */
import { AlignSamError } from "../errors.ts";
import { CLASSIC_ENCODERS, type ClassicEncoder } from "../models/classic/options.ts";
import type { PromptableSegmenter, VisionLanguagePrior } from "../models/ports.ts";
import type { PolicyCard } from "../policy/card.ts";
import { assertCompatible } from "../policy/compat.ts";

export interface BackendFlags {
  readonly samManifest?: string;
  readonly clipManifest?: string;
  /** Classic backend encoder: handcrafted | learned | combined (default: the card's, else the env's, else handcrafted). */
  readonly encoder?: string;
  /** "none": no prior (M_c = 1); "centernet": the closed-vocabulary detector prior even with a CLIP manifest. */
  readonly prior?: string;
}

export interface Backend {
  readonly segmenter: PromptableSegmenter;
  /** Absent with `prior: "none"`; CenterNet's loads its model on first use. */
  readonly prior?: VisionLanguagePrior;
  dispose(): Promise<void>;
}

export const PRIOR_CHOICES = ["none", "centernet"] as const;

function choose<T extends string>(
  value: string | undefined,
  valid: readonly T[],
  what: string,
): T | undefined {
  if (value === undefined || value === "") return undefined;
  if (!(valid as readonly string[]).includes(value)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `${what} is "${value}"; expected one of: ${valid.join(", ")}`,
      {
        valid: [...valid],
      },
    );
  }
  return value as T;
}

/** The classic encoder to open: explicit flag, else what the policy was trained on, else the environment. */
async function classicEncoder(flags: BackendFlags, card: PolicyCard | undefined): Promise<ClassicEncoder> {
  const flag = choose(flags.encoder, CLASSIC_ENCODERS, "--encoder");
  if (flag) return flag;
  if (card?.segmenter.backend === "classic") {
    const { encoderOfModelId } = await import("../models/centernet/classic-encoder.ts");
    const fromCard = encoderOfModelId(card.segmenter.modelId);
    if (fromCard) return fromCard;
  }
  return (
    choose(process.env.ALIGNSAM_CLASSIC_ENCODER, CLASSIC_ENCODERS, "ALIGNSAM_CLASSIC_ENCODER") ??
    "handcrafted"
  );
}

async function openPrior(
  flags: BackendFlags,
  card: PolicyCard | undefined,
  disposers: (() => Promise<void>)[],
): Promise<VisionLanguagePrior | undefined> {
  const choice = choose(flags.prior, PRIOR_CHOICES, "--prior");
  if (choice === "none") return undefined;
  const cardPrior = card?.prior.kind === "model" ? card.prior : undefined;
  // A policy trained with M_c = 1 (or on the implicit branch) needs no prior unless one is asked for.
  if (card && !cardPrior && choice === undefined) return undefined;
  const wantsCenterNet =
    choice === "centernet" ||
    (cardPrior ? cardPrior.backend === "centernet" : flags.clipManifest === undefined);
  if (!wantsCenterNet && flags.clipManifest !== undefined) {
    const { createClipSurgeryPrior } = await import("../models/clip-surgery/index.ts");
    const clip = await createClipSurgeryPrior({ manifestUri: flags.clipManifest });
    disposers.push(() => clip.dispose());
    return clip;
  }
  if (!wantsCenterNet) return undefined;
  const { createCenterNetPrior } = await import("../models/centernet/prior.ts");
  const prior = createCenterNetPrior();
  if (cardPrior && cardPrior.modelId !== prior.info.modelId) {
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `the policy was trained with the prior ${cardPrior.backend}/${cardPrior.modelId}, this build has ${prior.info.backend}/${prior.info.modelId}`,
      { policy: cardPrior, prior: prior.info },
    );
  }
  return prior;
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
  const disposeAll = async () => {
    for (const d of disposers) await d();
  };
  let segmenter: PromptableSegmenter;
  let prior: VisionLanguagePrior | undefined;
  try {
    if (flags.samManifest !== undefined) {
      const { createOnnxSamSegmenter } = await import("../models/onnx-sam/index.ts");
      const sam = await createOnnxSamSegmenter({ manifestUri: flags.samManifest });
      disposers.push(() => sam.dispose());
      segmenter = sam;
    } else {
      const encoder = await classicEncoder(flags, card);
      if (encoder === "handcrafted") {
        const { createClassicSegmenter } = await import("../models/classic/index.ts");
        segmenter = createClassicSegmenter();
      } else {
        const { openClassicSegmenter } = await import("../models/centernet/classic-encoder.ts");
        segmenter = await openClassicSegmenter({ encoder });
      }
    }
    prior = await openPrior(flags, card, disposers);
    if (card) assertCompatible(card, segmenter.info);
  } catch (e) {
    await disposeAll();
    throw e;
  }
  return {
    segmenter,
    ...(prior ? { prior } : {}),
    dispose: disposeAll,
  };
}

/** The commander flags that pick the backend, shared by segment, train and eval. */
export const BACKEND_FLAG_HELP = {
  sam: "ONNX SAM model package (folder, manifest.json, file:// or s3://); default: the classic backend",
  clip: "CLIP Surgery model package: the open-vocabulary prior of explicit-branch tasks (shadow, voc); default: the built-in CenterNet prior (80 COCO classes)",
  encoder: `classic backend encoder: ${CLASSIC_ENCODERS.join(" | ")} (default: the policy's, else $ALIGNSAM_CLASSIC_ENCODER, else handcrafted)`,
  prior: `explicit-branch prior: ${PRIOR_CHOICES.join(" | ")} (default: the policy's; without a policy, CLIP Surgery with --clip-manifest, else centernet)`,
} as const;
