/**
 * The genuine MobileSAM encoder (TinyViT) and official SAM decoder export with RANDOM weights, kept
 * outside the repository (`../shared/models/sam-graphs`, or ALIGNSAM_SAM_GRAPHS): their manifest and
 * a model package that points at them, for the tests and benchmarks that need the real operators,
 * shapes and cost. The masks they make mean nothing.
 */
import { existsSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { findRepositoryRoot } from "../datasets/root.ts";
import { MANIFEST_FILE } from "../models/manifest/load.ts";
import type { SamManifest } from "../models/manifest/schema.ts";

/** The environment variable that overrides where the graphs are. */
export const SAM_GRAPHS_ENV = "ALIGNSAM_SAM_GRAPHS";
export const SAM_GRAPHS_ENCODER = "mobilesam_encoder.onnx";
export const SAM_GRAPHS_DECODER = "sam_decoder.onnx";

/** The folder of the graphs: ALIGNSAM_SAM_GRAPHS, else `../shared/models/sam-graphs` beside the repository. */
export function resolveSamGraphsDir(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env[SAM_GRAPHS_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return resolve(fromEnv);
  return resolve(findRepositoryRoot(), "../shared/models/sam-graphs");
}

/** Why the graphs cannot be used here (for a skip message), or undefined when both files are there. */
export function samGraphsMissing(dir: string = resolveSamGraphsDir()): string | undefined {
  for (const f of [SAM_GRAPHS_ENCODER, SAM_GRAPHS_DECODER]) {
    if (!existsSync(join(dir, f))) return `${join(dir, f)} is absent (set ${SAM_GRAPHS_ENV})`;
  }
  return undefined;
}

/**
 * The manifest of the pair, as its README reports the tensors (onnxruntime 1.30): the decoder's
 * point count is dynamic, its outputs' sizes are exporter-named dynamic dims.
 */
export const SAM_GRAPHS_MANIFEST = {
  schemaVersion: 1,
  id: "mobilesam-random",
  version: "aaf930",
  kind: "sam",
  description: "MobileSAM TinyViT encoder + official SamOnnxModel decoder, RANDOM weights (seed 0)",
  licence: "Apache-2.0 (architecture code); weights are a random initialisation",
  files: [
    {
      path: SAM_GRAPHS_ENCODER,
      sha256: "aaf930630e98ef94eb8010f7478fe86f4ee4b8db141faa71a981ef3c76f8fc18",
      bytes: 27_813_733,
    },
    {
      path: SAM_GRAPHS_DECODER,
      sha256: "bc8e6fca1574664c51272ca60be77783adcc3f58172c768f997b4867c862bde8",
      bytes: 16_481_544,
    },
  ],
  inputSize: 1024,
  lowResSize: 256,
  encoder: {
    file: SAM_GRAPHS_ENCODER,
    inputs: { image: { name: "image", dtype: "float32", shape: [1, 3, 1024, 1024] } },
    outputs: { embeddings: { name: "image_embeddings", dtype: "float32", shape: [1, 256, 64, 64] } },
  },
  decoder: {
    file: SAM_GRAPHS_DECODER,
    inputs: {
      imageEmbeddings: { name: "image_embeddings", dtype: "float32", shape: [1, 256, 64, 64] },
      pointCoords: { name: "point_coords", dtype: "float32", shape: [1, "num_points", 2] },
      pointLabels: { name: "point_labels", dtype: "float32", shape: [1, "num_points"] },
      maskInput: { name: "mask_input", dtype: "float32", shape: [1, 1, 256, 256] },
      hasMaskInput: { name: "has_mask_input", dtype: "float32", shape: [1] },
      origImSize: { name: "orig_im_size", dtype: "float32", shape: [2] },
    },
    outputs: {
      masks: { name: "masks", dtype: "float32", shape: [1, -1, -1, -1] },
      scores: { name: "iou_predictions", dtype: "float32", shape: [1, 4] },
      lowResMasks: { name: "low_res_masks", dtype: "float32", shape: [1, -1, 256, 256] },
    },
  },
} as const satisfies Omit<SamManifest, "normalisation" | "maskThreshold"> & { kind: "sam" };

/**
 * Writes a model package into `dir`: manifest.json (optionally changed by `edit`) and symbolic links
 * to the two graphs (a manifest's paths are relative to its folder; the .onnx files are never copied).
 * Returns the manifest's path, for `createOnnxSamSegmenter({ manifestUri })` or `--sam-manifest`.
 */
export async function writeSamGraphsPackage(
  dir: string,
  options: { graphsDir?: string; edit?: (manifest: Record<string, unknown>) => unknown } = {},
): Promise<string> {
  const graphs = options.graphsDir ?? resolveSamGraphsDir();
  await mkdir(dir, { recursive: true });
  for (const f of [SAM_GRAPHS_ENCODER, SAM_GRAPHS_DECODER]) await symlink(join(graphs, f), join(dir, f));
  const json = structuredClone(SAM_GRAPHS_MANIFEST) as unknown as Record<string, unknown>;
  const path = join(dir, MANIFEST_FILE);
  await writeFile(path, `${JSON.stringify(options.edit?.(json) ?? json, null, 2)}\n`);
  return path;
}
