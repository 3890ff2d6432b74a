/**
 * A tiny CLIP Surgery look-alike for tests, with the real contracts and hand-checkable numbers:
 * - tokenizer.json in CLIP's exact format (NFC + whitespace + lowercase normaliser, CLIP's split
 *   regex + byte-level pre-tokenizer, BPE with "</w>" word ends, RobertaProcessing adding
 *   <|startoftext|> / <|endoftext|>), with a small vocabulary (all 256 byte symbols, both forms, plus
 *   merges for a word list);
 * - image model: pixel_values [1,3,S,S] -> tokens [1, 1+P, 4]: per 32x32 patch the mean normalised
 *   R, G, B and a constant 0.5; the class token is the mean over patches;
 * - text model: input_ids/attention_mask [B,77] int64 -> text_embeds [B,4]: the sum of per-token
 *   vectors over unmasked tokens ("red" points to +R, "blue" to +B, every other token to the
 *   constant axis), so similarity maps are predictable.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../models/manifest/checksum.ts";
import { GraphBuilder } from "./onnx-builder.ts";

export const CLIP_FIXTURE_DIM = 4;
export const CLIP_FIXTURE_PATCH = 32;
export const SOT = "<|startoftext|>";
export const EOT = "<|endoftext|>";

/** GPT-2 / CLIP byte -> printable unicode table. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table: string[] = new Array(256);
  bs.forEach((b, i) => {
    table[b] = String.fromCodePoint(cs[i]);
  });
  return table;
}

const WORDS = [
  "a",
  "an",
  "the",
  "of",
  "photo",
  "in",
  "scene",
  "there",
  "is",
  "this",
  "red",
  "blue",
  "shadow",
  "glass",
  "defocus",
  "background",
  "salient",
  "objects",
  "itap",
  "bad",
  "origami",
  "large",
  "small",
  "video",
  "game",
  "art",
];

/** A CLIP-format tokenizer.json whose vocabulary covers every byte and merges WORDS whole. */
export function clipTokenizerJson(): { json: Record<string, unknown>; vocab: Map<string, number> } {
  const units = bytesToUnicode();
  const vocab = new Map<string, number>();
  const add = (t: string) => {
    if (!vocab.has(t)) vocab.set(t, vocab.size);
  };
  for (const u of units) add(u);
  for (const u of units) add(`${u}</w>`);
  const merges: string[] = [];
  for (const word of WORDS) {
    const symbols = [...word];
    symbols[symbols.length - 1] += "</w>";
    let acc = symbols[0];
    for (let i = 1; i < symbols.length; i++) {
      const merge = `${acc} ${symbols[i]}`;
      if (!merges.includes(merge)) merges.push(merge);
      acc += symbols[i];
      add(acc);
    }
  }
  add(SOT);
  add(EOT);
  const special = (content: string) => ({
    id: vocab.get(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(SOT), special(EOT)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: "Removed",
          invert: true,
        },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [EOT, vocab.get(EOT)],
      cls: [SOT, vocab.get(SOT)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "BPEDecoder", suffix: "</w>" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: EOT,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
  return { json, vocab };
}

/** The fixture text model's vector for one token. */
export function clipFixtureTokenVector(token: string): number[] {
  if (token === "red</w>") return [3, -3, -3, 0];
  if (token === "blue</w>") return [-3, -3, 3, 0];
  if (token === SOT || token === EOT) return [0, 0, 0, 1];
  return [0, 0, 0, 0.2];
}

function textModel(vocab: Map<string, number>): Uint8Array {
  const g = new GraphBuilder();
  g.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  g.input("attention_mask", "int64", ["batch_size", "sequence_length"]);
  const table = new Float32Array(vocab.size * CLIP_FIXTURE_DIM);
  for (const [token, id] of vocab) table.set(clipFixtureTokenVector(token), id * CLIP_FIXTURE_DIM);
  const rows = g.op("Gather", [g.floats(table, [vocab.size, CLIP_FIXTURE_DIM]), "input_ids"], { axis: 0 });
  const mask = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], { to: 1 }), g.ints([2])]);
  g.op("ReduceSum", [g.op("Mul", [rows, mask]), g.ints([1])], { keepdims: 0 }, ["text_embeds"]);
  g.output("text_embeds", "float32", ["batch_size", CLIP_FIXTURE_DIM]);
  return g.toBytes("clip_text_fixture");
}

function imageModel(size: number): Uint8Array {
  const g = new GraphBuilder();
  g.input("pixel_values", "float32", [1, 3, size, size]);
  const p = CLIP_FIXTURE_PATCH;
  const w = new Float32Array(CLIP_FIXTURE_DIM * 3 * p * p);
  for (let c = 0; c < 3; c++) w.fill(1 / (p * p), (c * 3 + c) * p * p, (c * 3 + c + 1) * p * p);
  const conv = g.op(
    "Conv",
    ["pixel_values", g.floats(w, [CLIP_FIXTURE_DIM, 3, p, p]), g.floats([0, 0, 0, 0.5], [4])],
    {
      kernel_shape: [p, p],
      strides: [p, p],
    },
  );
  const side = size / p;
  const patches = g.op("Transpose", [g.op("Reshape", [conv, g.ints([1, CLIP_FIXTURE_DIM, side * side])])], {
    perm: [0, 2, 1],
  });
  const cls = g.op("ReduceMean", [patches], { axes: [1], keepdims: 1 });
  g.op("Concat", [cls, patches], { axis: 1 }, ["image_tokens"]);
  g.output("image_tokens", "float32", [1, 1 + side * side, CLIP_FIXTURE_DIM]);
  return g.toBytes("clip_image_fixture");
}

export interface ClipFixtureOptions {
  /** Model input side (a multiple of 32). @default 224 */
  size?: number;
  resize?: "stretch" | "centre-crop";
  backgroundTexts?: string[];
  templates?: string[];
}

/** Writes image.onnx, text.onnx, tokenizer.json and manifest.json into `dir`. */
export async function writeClipFixture(
  dir: string,
  options: ClipFixtureOptions = {},
): Promise<Record<string, unknown>> {
  const size = options.size ?? 224;
  await mkdir(dir, { recursive: true });
  const { json, vocab } = clipTokenizerJson();
  const tokenizer = new TextEncoder().encode(JSON.stringify(json));
  const config = new TextEncoder().encode(
    JSON.stringify({
      do_lower_case: true,
      model_max_length: 77,
      pad_token: EOT,
      tokenizer_class: "CLIPTokenizer",
    }),
  );
  const image = imageModel(size);
  const text = textModel(vocab);
  const files: [string, Uint8Array][] = [
    ["image.onnx", image],
    ["text.onnx", text],
    ["tokenizer.json", tokenizer],
    ["tokenizer_config.json", config],
  ];
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  const tokens = 1 + (size / CLIP_FIXTURE_PATCH) ** 2;
  const manifest: Record<string, unknown> = {
    schemaVersion: 1,
    id: "clip-surgery-fixture",
    kind: "clip-surgery",
    files: files.map(([path, bytes]) => ({ path, sha256: sha256Hex(bytes) })),
    image: { size, resize: options.resize ?? "stretch", interpolation: "bicubic" },
    imageModel: {
      file: "image.onnx",
      inputs: { pixels: { name: "pixel_values", dtype: "float32", shape: [1, 3, size, size] } },
      outputs: { tokens: { name: "image_tokens", dtype: "float32", shape: [1, tokens, CLIP_FIXTURE_DIM] } },
    },
    textModel: {
      file: "text.onnx",
      inputs: {
        inputIds: { name: "input_ids", dtype: "int64", shape: ["batch", 77] },
        attentionMask: { name: "attention_mask", dtype: "int64", shape: ["batch", 77] },
      },
      outputs: { textEmbeds: { name: "text_embeds", dtype: "float32", shape: ["batch", CLIP_FIXTURE_DIM] } },
    },
    tokenizer: { file: "tokenizer.json", config: "tokenizer_config.json", contextLength: 77, padTokenId: 0 },
    ...(options.templates ? { templates: options.templates } : {}),
    ...(options.backgroundTexts ? { backgroundTexts: options.backgroundTexts } : {}),
  };
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return manifest;
}
