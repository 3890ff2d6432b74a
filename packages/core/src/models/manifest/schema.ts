/**
 * The model manifest: one JSON file (manifest.json) beside the ONNX files of one model package. It
 * names the files and their SHA-256, every tensor the adapter feeds or reads (by role, so exports
 * with other names work unchanged), the input geometry and normalisation. A manifest is the only
 * thing a user edits to point the system at real SAM / CLIP weights.
 */
import { z } from "zod";

export const TensorDtypeSchema = z.enum(["float32", "float16", "int64", "int32", "uint8", "bool"]);
export type TensorDtype = z.infer<typeof TensorDtypeSchema>;

/** A dimension: a fixed size, or -1 / a symbolic name ("N", "batch") for a dynamic one. */
export const DimSchema = z.union([
  z
    .number()
    .int()
    .refine((d) => d === -1 || d > 0, "a dimension is a positive size or -1 (dynamic)"),
  z.string().min(1),
]);
export type Dim = z.infer<typeof DimSchema>;

export const TensorSpecSchema = z.object({
  /** The tensor's name in the ONNX graph. */
  name: z.string().min(1),
  dtype: TensorDtypeSchema,
  shape: z.array(DimSchema),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

/** A path inside the model folder: relative, forward slashes, never climbing out. */
const RelativePathSchema = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith("/") && !p.includes("\\") && !p.split("/").some((s) => s === ".." || s === ""),
    "file paths are relative to the manifest's folder, without '..'",
  );

export const ModelFileSchema = z.object({
  path: RelativePathSchema,
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "sha256 is 64 hex digits"),
  /** Optional size, shown in download progress. */
  bytes: z.number().int().nonnegative().optional(),
});

/** Pixel normalisation: (pixel - mean) / std, with pixel on the stated range. */
export const NormalisationSchema = z.object({
  /** "0-255": raw bytes (SAM's convention); "0-1": bytes / 255 first (CLIP's). */
  inputRange: z.enum(["0-255", "0-1"]),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
});
export type Normalisation = z.infer<typeof NormalisationSchema>;

function sessionSchema<I extends z.ZodRawShape, O extends z.ZodRawShape>(inputs: I, outputs: O) {
  return z.object({ file: RelativePathSchema, inputs: z.object(inputs), outputs: z.object(outputs) });
}

const common = {
  schemaVersion: z.literal(1),
  /** Stable id; policies record it, caches key on it. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "ids are letters, digits, '.', '_' and '-'"),
  version: z.string().min(1).default("1"),
  description: z.string().optional(),
  licence: z.string().optional(),
  files: z.array(ModelFileSchema).min(1),
};

const SAM_NORMALISATION: Normalisation = {
  inputRange: "0-255",
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
};

const samCommon = {
  ...common,
  /** Square side S of the encoder input. */
  inputSize: z.number().int().positive().default(1024),
  lowResSize: z.number().int().positive().default(256),
  normalisation: NormalisationSchema.default(SAM_NORMALISATION),
  /** Logit threshold of a foreground pixel (SAM's mask_threshold). */
  maskThreshold: z.number().default(0),
};

/** Official SAM: an image encoder + the SamOnnxModel decoder of segment_anything's export script. */
export const SamManifestSchema = z.object({
  ...samCommon,
  kind: z.literal("sam"),
  encoder: sessionSchema({ image: TensorSpecSchema }, { embeddings: TensorSpecSchema }),
  decoder: sessionSchema(
    {
      imageEmbeddings: TensorSpecSchema,
      pointCoords: TensorSpecSchema,
      pointLabels: TensorSpecSchema,
      maskInput: TensorSpecSchema,
      hasMaskInput: TensorSpecSchema,
      origImSize: TensorSpecSchema,
    },
    {
      /** Upscaled logits at orig_im_size; absent means the adapter post-processes in TypeScript. */
      masks: TensorSpecSchema.optional(),
      scores: TensorSpecSchema,
      lowResMasks: TensorSpecSchema,
    },
  ),
});

/** transformers.js-style SAM: vision_encoder + prompt_encoder_mask_decoder (no mask input). */
export const SamSplitManifestSchema = z.object({
  ...samCommon,
  kind: z.literal("sam-split"),
  encoder: sessionSchema(
    { image: TensorSpecSchema },
    { embeddings: TensorSpecSchema, positionalEmbeddings: TensorSpecSchema },
  ),
  decoder: sessionSchema(
    {
      points: TensorSpecSchema,
      labels: TensorSpecSchema,
      imageEmbeddings: TensorSpecSchema,
      positionalEmbeddings: TensorSpecSchema,
    },
    { scores: TensorSpecSchema, lowResMasks: TensorSpecSchema },
  ),
});

const CLIP_NORMALISATION: Normalisation = {
  inputRange: "0-1",
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

/** CLIP Surgery: an image model giving projected tokens [1, 1+P, D] and a text model. */
export const ClipSurgeryManifestSchema = z.object({
  ...common,
  kind: z.literal("clip-surgery"),
  image: z
    .object({
      /** Model input side. */
      size: z.number().int().positive().default(224),
      /**
       * "stretch": straight to size x size, no crop, the whole image seen (CLIP Surgery's demo);
       * "centre-crop": shortest side to size, then the centre size x size (CLIP's own preprocess;
       * the map outside the crop is extrapolated from its edge).
       */
      resize: z.enum(["stretch", "centre-crop"]).default("stretch"),
      interpolation: z.enum(["bicubic", "bilinear"]).default("bicubic"),
      normalisation: NormalisationSchema.default(CLIP_NORMALISATION),
    })
    .prefault({}),
  imageModel: sessionSchema({ pixels: TensorSpecSchema }, { tokens: TensorSpecSchema }),
  textModel: sessionSchema(
    { inputIds: TensorSpecSchema, attentionMask: TensorSpecSchema.optional() },
    { textEmbeds: TensorSpecSchema },
  ),
  tokenizer: z.object({
    /** tokenizer.json (Hugging Face tokenizers format). */
    file: RelativePathSchema,
    /** tokenizer_config.json, if any. */
    config: RelativePathSchema.optional(),
    /** Pad/truncate every prompt to this many tokens (CLIP: 77); null keeps natural lengths. */
    contextLength: z.number().int().positive().nullable().default(77),
    /** Pad id (OpenAI CLIP pads with 0; Hugging Face's CLIP with the end-of-text id). */
    padTokenId: z.number().int().nonnegative().default(0),
  }),
  /** Prompt templates with "{}" for the text; defaults to CLIP Surgery's ImageNet ensemble subset. */
  templates: z.array(z.string().includes("{}")).min(1).optional(),
  /**
   * Extra classes for the multi-class feature surgery. Empty (the default): single-text surgery
   * against the empty-text redundant feature, as CLIP Surgery's reference does for one text.
   */
  backgroundTexts: z.array(z.string()).default([]),
});

/**
 * A CenterNet object detector as a TF.js graph model (model.json + weight shards; @vladmandic/human's
 * `centernet`): heatmap channel c is `classes[c]`. Feeds the closed-vocabulary prior and the classic
 * backend's learned encoder. The image input is NHWC `[1, S, S, 3]`, the image stretched to S x S.
 */
export const CenterNetManifestSchema = z.object({
  ...common,
  kind: z.literal("centernet-tfjs"),
  /** Square input side S. @default 512 */
  inputSize: z.number().int().positive().default(512),
  /** Pixel scale the graph expects: "0-255" raw bytes (the human library feeds these), "0-1" bytes / 255. */
  inputRange: z.enum(["0-255", "0-1"]).default("0-255"),
  graph: z.object({
    /** model.json; every weight shard it names must be listed in files. */
    file: RelativePathSchema,
    inputs: z.object({ image: TensorSpecSchema }),
    outputs: z.object({
      /** Per-class centre heatmaps `[1, H, W, classes]`, sigmoid scores. */
      heatmap: TensorSpecSchema,
      /** Decoded boxes `[1, K, 6]`: x1, y1, x2, y2 (input pixels), score, class. */
      detections: TensorSpecSchema,
      /** Intermediate backbone features `[1, h, w, C]` read by the learned encoder. */
      features: TensorSpecSchema,
    }),
  }),
  /** Class names in heatmap channel order. */
  classes: z.array(z.string().min(1)).min(1),
});

export const ModelManifestSchema = z
  .discriminatedUnion("kind", [
    SamManifestSchema,
    SamSplitManifestSchema,
    ClipSurgeryManifestSchema,
    CenterNetManifestSchema,
  ])
  .superRefine((m, ctx) => {
    const listed = new Set(m.files.map((f) => f.path));
    const used =
      m.kind === "clip-surgery"
        ? [
            m.imageModel.file,
            m.textModel.file,
            m.tokenizer.file,
            ...(m.tokenizer.config ? [m.tokenizer.config] : []),
          ]
        : m.kind === "centernet-tfjs"
          ? [m.graph.file]
          : [m.encoder.file, m.decoder.file];
    for (const file of used) {
      if (!listed.has(file)) {
        ctx.addIssue({
          code: "custom",
          message: `"${file}" is used but not listed in files (with its sha256)`,
        });
      }
    }
    if (m.kind === "centernet-tfjs") {
      const { image } = m.graph.inputs;
      const { heatmap } = m.graph.outputs;
      const s = m.inputSize;
      if (image.shape.length !== 4 || image.shape.slice(1).some((d, i) => d !== [s, s, 3][i])) {
        ctx.addIssue({
          code: "custom",
          message: `image input '${image.name}' has shape [${image.shape.join(",")}], expected [1,${s},${s},3]`,
        });
      }
      const channels = heatmap.shape[3];
      if (heatmap.shape.length !== 4 || channels !== m.classes.length) {
        ctx.addIssue({
          code: "custom",
          message: `heatmap '${heatmap.name}' has shape [${heatmap.shape.join(",")}], expected [1,H,W,${m.classes.length}] (one channel per class)`,
        });
      }
      return;
    }
    // The adapters feed a 1 x 3 x S x S image: a fixed model input must agree with S.
    const [image, side] =
      m.kind === "clip-surgery"
        ? [m.imageModel.inputs.pixels, m.image.size]
        : [m.encoder.inputs.image, m.inputSize];
    const fixed = image.shape.slice(2).filter((d): d is number => typeof d === "number" && d > 0);
    if (image.shape.length !== 4 || fixed.some((d) => d !== side)) {
      ctx.addIssue({
        code: "custom",
        message: `image input '${image.name}' has shape [${image.shape.join(",")}], expected [1,3,${side},${side}]`,
      });
    }
  });

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type SamManifest = z.infer<typeof SamManifestSchema>;
export type SamSplitManifest = z.infer<typeof SamSplitManifestSchema>;
export type ClipSurgeryManifest = z.infer<typeof ClipSurgeryManifestSchema>;
export type CenterNetManifest = z.infer<typeof CenterNetManifestSchema>;
export const MODEL_KINDS = ["sam", "sam-split", "clip-surgery", "centernet-tfjs"] as const;
export type ModelKind = ModelManifest["kind"];
