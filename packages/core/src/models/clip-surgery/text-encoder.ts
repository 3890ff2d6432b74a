/**
 * CLIP text features: the model folder's tokenizer.json (Hugging Face format, via
 * @huggingface/tokenizers) -> padded id batches -> the ONNX text model -> unit-norm rows.
 */
import { readFile } from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";
import type ort from "onnxruntime-node";
import { AlignSamError } from "../../errors.ts";
import { type LoadedManifest, modelFilePath } from "../manifest/load.ts";
import type { ClipSurgeryManifest } from "../manifest/schema.ts";
import { floatOutput, tensorFor } from "../manifest/tensors.ts";
import { normaliseRows } from "./surgery.ts";

/** Loads the tokenizer named by the manifest. */
export async function loadClipTokenizer(loaded: LoadedManifest<ClipSurgeryManifest>): Promise<Tokenizer> {
  const spec = loaded.manifest.tokenizer;
  const read = async (file: string) =>
    JSON.parse(await readFile(modelFilePath(loaded, file), "utf8")) as object;
  try {
    return new Tokenizer(await read(spec.file), spec.config ? await read(spec.config) : {});
  } catch (e) {
    throw new AlignSamError(
      "MODEL_MANIFEST",
      `could not load tokenizer ${spec.file}: ${(e as Error).message}`,
    );
  }
}

export interface TokenBatch {
  readonly ids: number[];
  readonly mask: number[];
  readonly batch: number;
  readonly length: number;
}

/**
 * Tokenises prompts (with <|startoftext|>/<|endoftext|>) into one padded batch. Too-long prompts are
 * truncated keeping the end-of-text token last, as clip.tokenize(truncate=True) does, so the text
 * model still pools at it.
 */
export function tokenizeBatch(
  tokenizer: Tokenizer,
  prompts: readonly string[],
  contextLength: number | null,
  padTokenId: number,
): TokenBatch {
  const encoded = prompts.map((p) => tokenizer.encode(p).ids);
  const length = contextLength ?? Math.max(...encoded.map((e) => e.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (let e of encoded) {
    if (e.length > length) e = [...e.slice(0, length - 1), e[e.length - 1]];
    for (let i = 0; i < length; i++) {
      ids.push(i < e.length ? e[i] : padTokenId);
      mask.push(i < e.length ? 1 : 0);
    }
  }
  return { ids, mask, batch: prompts.length, length };
}

/** Encodes prompts with the text model; returns [prompts.length, d] unit rows and d. */
export async function encodeTexts(
  session: ort.InferenceSession,
  manifest: ClipSurgeryManifest,
  tokenizer: Tokenizer,
  prompts: readonly string[],
): Promise<{ rows: Float32Array; d: number }> {
  const { inputs, outputs } = manifest.textModel;
  const { contextLength, padTokenId } = manifest.tokenizer;
  const fixedBatch = inputs.inputIds.shape[0] === 1;
  const groups = fixedBatch ? prompts.map((p) => [p]) : [prompts];
  const parts: Float32Array[] = [];
  let d = 0;
  for (const group of groups) {
    const t = tokenizeBatch(tokenizer, group, contextLength, padTokenId);
    const dims = [t.batch, t.length];
    const feeds: Record<string, ort.Tensor> = {
      [inputs.inputIds.name]: tensorFor(inputs.inputIds, t.ids, dims),
    };
    if (inputs.attentionMask)
      feeds[inputs.attentionMask.name] = tensorFor(inputs.attentionMask, t.mask, dims);
    const out = floatOutput(await session.run(feeds, [outputs.textEmbeds.name]), outputs.textEmbeds);
    if (out.dims.length !== 2 || out.dims[0] !== group.length) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `text model output '${outputs.textEmbeds.name}' has shape [${out.dims.join(",")}], expected [${group.length},D]`,
      );
    }
    d = out.dims[1];
    parts.push(Float32Array.from(out.data));
  }
  const rows = new Float32Array(prompts.length * d);
  let offset = 0;
  for (const p of parts) {
    rows.set(p, offset);
    offset += p.length;
  }
  return { rows: normaliseRows(rows, d), d };
}
