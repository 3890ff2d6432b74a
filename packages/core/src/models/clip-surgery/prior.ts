/**
 * CLIP Surgery behind the VisionLanguagePrior port: M_c, how much each grid position of an image
 * matches a text concept, for the SRM's explicit branch.
 */
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import { expectKind, type LoadManifestOptions, loadManifest } from "../manifest/load.ts";
import type { ClipSurgeryManifest } from "../manifest/schema.ts";
import { openSession, type SessionOptions } from "../manifest/session.ts";
import { floatOutput, tensorFor } from "../manifest/tensors.ts";
import type { SimilarityMap, VisionLanguagePrior } from "../ports.ts";
import { clipPreprocess, resampleToGrid } from "./preprocess.ts";
import { ensemble, featureSurgery, normaliseRows, patchMap } from "./surgery.ts";
import { applyTemplates, DEFAULT_TEMPLATES } from "./templates.ts";
import { encodeTexts, loadClipTokenizer } from "./text-encoder.ts";

export interface ClipSurgeryOptions extends LoadManifestOptions, SessionOptions {
  /** Folder, manifest.json path, file:// or s3:// URI of the model package. */
  manifestUri: string;
}

export interface ClipSurgeryPrior extends VisionLanguagePrior {
  readonly manifest: ClipSurgeryManifest;
  /** The prompt-ensembled unit text feature of a concept (cached). */
  conceptFeature(texts: readonly string[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * Loads the manifest, tokenizer and both models.
 * @example
 * const prior = await createClipSurgeryPrior({ manifestUri: "./models/clip-surgery-vit-b16" });
 * const map = await prior.similarity(image, ["shadow"], { width: 10, height: 10 });
 */
export async function createClipSurgeryPrior(options: ClipSurgeryOptions): Promise<ClipSurgeryPrior> {
  const loaded = expectKind(await loadManifest(options.manifestUri, options), ["clip-surgery"]);
  const m = loaded.manifest;
  const tokenizer = await loadClipTokenizer(loaded);
  const imageSession = await openSession(loaded, m.imageModel, "image model", options);
  let textSession: Awaited<ReturnType<typeof openSession>>;
  try {
    textSession = await openSession(loaded, m.textModel, "text model", options);
  } catch (e) {
    await imageSession.session.release();
    throw e;
  }
  const templates = m.templates ?? DEFAULT_TEMPLATES;
  const textCache = new Map<string, Promise<Float32Array>>();

  /** One text's template ensemble (a unit vector), cached: text features do not depend on the image. */
  function textFeature(text: string): Promise<Float32Array> {
    let f = textCache.get(text);
    if (!f) {
      f = encodeTexts(textSession.session, m, tokenizer, applyTemplates(text, templates)).then(
        ({ rows, d }) => ensemble(rows, d),
      );
      f.catch(() => textCache.delete(text));
      textCache.set(text, f);
    }
    return f;
  }

  /** Several phrasings of one concept: the mean of their ensembles, renormalised. */
  async function conceptFeature(texts: readonly string[]): Promise<Float32Array> {
    if (texts.length === 0) throw new AlignSamError("INVALID_ARGUMENT", "the prior needs at least one text");
    const feats = await Promise.all(texts.map(textFeature));
    const d = feats[0].length;
    const rows = new Float32Array(feats.length * d);
    feats.forEach((f, i) => {
      rows.set(f, i * d);
    });
    return ensemble(rows, d);
  }

  async function imageTokens(image: RgbImage) {
    const { tensor, frame } = await clipPreprocess(image, m.image);
    const spec = m.imageModel.inputs.pixels;
    const out = await imageSession.session.run({
      [spec.name]: tensorFor(spec, tensor, [1, 3, m.image.size, m.image.size]),
    });
    const tokens = floatOutput(out, m.imageModel.outputs.tokens);
    const [batch, n, d] = tokens.dims;
    const side = Math.round(Math.sqrt(n - 1));
    if (tokens.dims.length !== 3 || batch !== 1 || side * side !== n - 1) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `image model output '${m.imageModel.outputs.tokens.name}' has shape [${tokens.dims.join(",")}], expected [1, 1+P, D] with P a square number of patches`,
      );
    }
    return { tokens: normaliseRows(tokens.data, d), n, d, side, frame };
  }

  async function similarity(
    image: RgbImage,
    texts: readonly string[],
    grid: { width: number; height: number },
  ): Promise<SimilarityMap> {
    if (!(grid.width > 0 && grid.height > 0)) {
      throw new AlignSamError("INVALID_ARGUMENT", `grid must be positive, got ${grid.width}x${grid.height}`);
    }
    const [concept, img] = await Promise.all([conceptFeature(texts), imageTokens(image)]);
    if (concept.length !== img.d) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `text features have ${concept.length} dimensions but image tokens ${img.d}; the two models do not belong together`,
      );
    }
    let sim: Float32Array;
    let classes: number;
    if (m.backgroundTexts.length === 0) {
      // One text: surgery against the empty text's features (the reference's redundant features).
      sim = featureSurgery(img.tokens, concept, img.d, await textFeature(""));
      classes = 1;
    } else {
      const background = await Promise.all(m.backgroundTexts.map(textFeature));
      const all = new Float32Array((1 + background.length) * img.d);
      [concept, ...background].forEach((f, i) => {
        all.set(f, i * img.d);
      });
      sim = featureSurgery(img.tokens, all, img.d);
      classes = 1 + background.length;
    }
    return resampleToGrid(patchMap(sim, classes, 0), img.side, img.frame, image, grid);
  }

  return {
    info: { backend: "clip-surgery", modelId: `clip-surgery:${m.id}@${m.version}` },
    manifest: m,
    similarity,
    conceptFeature,
    async dispose() {
      await imageSession.session.release();
      await textSession.session.release();
    },
  };
}
