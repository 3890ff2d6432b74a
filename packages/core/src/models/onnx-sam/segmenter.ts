/**
 * ONNX SAM behind the PromptableSegmenter port: an image encoder and a prompt decoder, described by
 * a manifest ("sam": official export; "sam-split": transformers.js-style pair). Point prompts come
 * in original-image pixels and masks go out at the original size; the letterbox lives in
 * Embedding.backendState.
 */
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import type { BinaryMask } from "../../mask/types.ts";
import { expectKind, type LoadManifestOptions, loadManifest } from "../manifest/load.ts";
import type { SamManifest, SamSplitManifest } from "../manifest/schema.ts";
import { openSession, type SessionOptions } from "../manifest/session.ts";
import { floatOutput, tensorFor } from "../manifest/tensors.ts";
import type { DecodePrompt, DecodeResult, Embedding, PromptableSegmenter, SegmenterInfo } from "../ports.ts";
import { type MultimaskMode, selectCandidates } from "./candidates.ts";
import { checkPrompt, type DecoderRun, runOfficialDecoder, runSplitDecoder } from "./decoder-run.ts";
import { letterboxForSam, thresholdLogits } from "./letterbox.ts";
import { postprocessLowRes } from "./postprocess.ts";
import { type OnnxSamState, samStateOf } from "./state.ts";

export interface OnnxSamOptions extends LoadManifestOptions, SessionOptions {
  /** Folder, manifest.json path, file:// or s3:// URI of the model package. */
  manifestUri: string;
  /**
   * Which candidates decode returns: "multi" (SAM's 3 multimask outputs), "single" (the single-mask
   * output), "auto" (multi for one click, single for more).
   * @default "multi"
   */
  multimask?: MultimaskMode;
  /** Run the encoder and decoder once at load, so the first real call is not the slow one. @default true */
  warmUp?: boolean;
  /**
   * Official export with a `masks` output: read it (every candidate upscaled to the original size in
   * the graph, on every decode) instead of upscaling in TypeScript only the candidate whose mask is
   * read. Both give byte-equal masks; the graph's way costs more CPU per decode, the more so the
   * larger the image (docs/benchmarks/sam-graphs.md).
   * @default false
   */
  inGraphMasks?: boolean;
}

export interface OnnxSamSegmenter extends PromptableSegmenter {
  readonly manifest: SamManifest | SamSplitManifest;
  /** Execution provider of the encoder session ("cuda" or "cpu"). */
  readonly provider: string;
  decodeBatch(embedding: Embedding, prompts: readonly DecodePrompt[]): Promise<DecodeResult[]>;
  dispose(): Promise<void>;
}

/**
 * A full-size mask thresholded (and, unless the graph's `masks` output was read, upscaled) on first
 * read of `data`: an episode reads the full-size mask of its last decode only, and upscaling three
 * candidates to the original size in JS cost more than some decoders' own run.
 */
function lazyMask(width: number, height: number, make: () => BinaryMask): BinaryMask {
  let data: Uint8Array | undefined;
  return {
    width,
    height,
    get data(): Uint8Array {
      data ??= make().data;
      return data;
    },
  };
}

function staticDims(shape: readonly (number | string)[]): number[] | undefined {
  return shape.every((d) => typeof d === "number" && d > 0) ? (shape as number[]) : undefined;
}

/**
 * Loads (and verifies) the manifest, opens both sessions (checked against the manifest) and warms
 * them up.
 * @example
 * const sam = await createOnnxSamSegmenter({ manifestUri: "s3://models/sam-vit-b" });
 * const e = await sam.encode(image);
 * const { masks, scores } = await sam.decode(e, { points: [{ x: 120, y: 80 }], labels: [1] });
 */
export async function createOnnxSamSegmenter(options: OnnxSamOptions): Promise<OnnxSamSegmenter> {
  const loaded = expectKind(await loadManifest(options.manifestUri, options), ["sam", "sam-split"]);
  const m = loaded.manifest;
  const encoder = await openSession(loaded, m.encoder, "encoder", options);
  let decoder: Awaited<ReturnType<typeof openSession>>;
  try {
    decoder = await openSession(loaded, m.decoder, "decoder", options);
  } catch (e) {
    await encoder.session.release();
    throw e;
  }
  const modelId = `onnx-sam:${m.id}@${m.version}`;
  const mode = options.multimask ?? "multi";
  const L = m.lowResSize;
  const embShape = staticDims(m.encoder.outputs.embeddings.shape.slice(1));
  let info: SegmenterInfo = {
    backend: "onnx-sam",
    modelId,
    embeddingShape: (embShape as [number, number, number] | undefined) ?? [0, 0, 0],
    lowResSize: L,
  };
  let sharedPositional: Float32Array | undefined;

  /** Positional embeddings do not depend on the image: keep one copy when they repeat. */
  function sharePositional(p: Float32Array): Float32Array {
    if (
      sharedPositional &&
      sharedPositional.length === p.length &&
      sharedPositional.every((v, i) => v === p[i])
    ) {
      return sharedPositional;
    }
    sharedPositional = Float32Array.from(p);
    return sharedPositional;
  }

  async function encode(image: RgbImage): Promise<Embedding> {
    const { normalisation } = m;
    const scale = normalisation.inputRange === "0-1" ? 255 : 1;
    const { tensor, geometry } = await letterboxForSam(image, {
      size: m.inputSize,
      mean: normalisation.mean.map((v) => v * scale),
      std: normalisation.std.map((v) => v * scale),
    });
    const spec = m.encoder.inputs.image;
    const out = await encoder.session.run({
      [spec.name]: tensorFor(spec, tensor, [1, 3, m.inputSize, m.inputSize]),
    });
    const emb = floatOutput(out, m.encoder.outputs.embeddings);
    if (emb.dims.length !== 4 || emb.dims[0] !== 1) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `encoder output '${m.encoder.outputs.embeddings.name}' has shape [${emb.dims.join(",")}], expected [1,C,h,w]`,
      );
    }
    const [, channels, height, width] = emb.dims;
    const positional =
      m.kind === "sam-split"
        ? sharePositional(floatOutput(out, m.encoder.outputs.positionalEmbeddings).data)
        : undefined;
    const state: OnnxSamState = { backend: "onnx-sam", geometry, ...(positional ? { positional } : {}) };
    return {
      modelId,
      channels,
      height,
      width,
      data: Float32Array.from(emb.data),
      imageWidth: image.width,
      imageHeight: image.height,
      backendState: state,
    };
  }

  function toResult(run: DecoderRun, state: OnnxSamState, userPoints: number): DecodeResult {
    const { origH, origW } = state.geometry;
    const indices = selectCandidates(run.count, run.scores, mode, userPoints);
    const masks: BinaryMask[] = [];
    const lowResLogits: Float32Array[] = [];
    for (const k of indices) {
      const low = run.lowRes.slice(k * L * L, (k + 1) * L * L);
      const inGraph = run.masks?.subarray(k * origH * origW, (k + 1) * origH * origW);
      masks.push(
        lazyMask(origW, origH, () =>
          thresholdLogits(
            inGraph ?? postprocessLowRes(low, L, state.geometry),
            origW,
            origH,
            m.maskThreshold,
          ),
        ),
      );
      lowResLogits.push(low);
    }
    return { masks, scores: indices.map((k) => run.scores[k]), lowResLogits, lowResSize: L };
  }

  async function decode(embedding: Embedding, prompt: DecodePrompt): Promise<DecodeResult> {
    const state = samStateOf(embedding, modelId);
    checkPrompt(prompt, L);
    const run =
      m.kind === "sam"
        ? await runOfficialDecoder(
            decoder.session,
            m,
            embedding,
            state,
            prompt,
            options.inGraphMasks ?? false,
          )
        : await runSplitDecoder(decoder.session, m, embedding, state, prompt);
    return toResult(run, state, prompt.points.length);
  }

  if (options.warmUp ?? true) {
    const e = await encode({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) });
    info = { ...info, embeddingShape: [e.channels, e.height, e.width] };
    await decode(e, { points: [{ x: 16, y: 16 }], labels: [1] });
  }

  return {
    get info() {
      return info;
    },
    manifest: m,
    provider: encoder.provider,
    encode,
    decode,
    async decodeBatch(embedding, prompts) {
      const results: DecodeResult[] = [];
      for (const p of prompts) results.push(await decode(embedding, p));
      return results;
    },
    async dispose() {
      await encoder.session.release();
      await decoder.session.release();
    },
  };
}
