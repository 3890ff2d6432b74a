/**
 * The CenterNet TF.js graph model: loaded from files on disk (never the network), checked against
 * its manifest (checksums, tensor names, shapes on a probe run), loaded once per process; its last
 * few images' outputs are kept so the prior and the learned encoder of one image share a run.
 */
import { readFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs";
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import { initTf } from "../../tf/backend.ts";
import {
  expectKind,
  type LoadedManifest,
  loadManifest,
  manifestAt,
  modelFilePath,
} from "../manifest/load.ts";
import type { CenterNetManifest, TensorSpec } from "../manifest/schema.ts";
import { BUILTIN_CENTERNET_MANIFEST, builtinCenterNetDir } from "./builtin.ts";

/** One output as a flat NHWC array and its shape. */
export interface GraphOutput {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** What one image gives: the class heatmaps, the decoded boxes and the backbone features. */
export interface CenterNetOutputs {
  readonly heatmap: GraphOutput;
  readonly detections: GraphOutput;
  readonly features: GraphOutput;
}

export interface CenterNetModel {
  readonly manifest: CenterNetManifest;
  /** `${id}@${version}`: recorded by priors and encoders built on it. */
  readonly modelId: string;
  /** Runs the graph on an image (the last 8 image buffers are remembered: the prior and the encoder share a run). */
  run(image: RgbImage): Promise<CenterNetOutputs>;
  /** Any graph nodes by name (for layer measurements). */
  runNodes(image: RgbImage, nodes: readonly string[]): Promise<GraphOutput[]>;
}

export interface CenterNetLoadOptions {
  /** A centernet-tfjs model package (folder, manifest.json, file://, s3://); default: the built-in one. */
  manifestUri?: string;
}

interface ModelJson {
  modelTopology: { node: { name: string }[] };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

const loaded = new Map<string, Promise<CenterNetModel>>();

/** Images whose outputs are kept for reuse. */
const RECENT_IMAGES = 8;

/**
 * The CenterNet model, loaded once per process per package (a worker pays the ~1 s load once).
 * @example
 * const net = await loadCenterNet();
 * const { heatmap } = await net.run(image); // [1, 128, 128, 80]
 */
export function loadCenterNet(options: CenterNetLoadOptions = {}): Promise<CenterNetModel> {
  const key = options.manifestUri ?? "builtin";
  let model = loaded.get(key);
  if (!model) {
    model = openCenterNet(options);
    model.catch(() => loaded.delete(key));
    loaded.set(key, model);
  }
  return model;
}

async function openManifest(options: CenterNetLoadOptions): Promise<LoadedManifest<CenterNetManifest>> {
  const m =
    options.manifestUri === undefined
      ? await manifestAt(BUILTIN_CENTERNET_MANIFEST, builtinCenterNetDir(), "builtin:centernet")
      : await loadManifest(options.manifestUri);
  return expectKind(m, ["centernet-tfjs"]);
}

function shapeMatches(spec: TensorSpec, shape: readonly number[]): boolean {
  return (
    spec.shape.length === shape.length &&
    spec.shape.every((d, i) => typeof d !== "number" || d === -1 || d === shape[i])
  );
}

/** Builds the tf.js model from the verified files: model.json's shards must all be checksummed files. */
async function openCenterNet(options: CenterNetLoadOptions): Promise<CenterNetModel> {
  await initTf();
  const pkg = await openManifest(options);
  const m = pkg.manifest;
  const json = JSON.parse(await readFile(modelFilePath(pkg, m.graph.file), "utf8")) as ModelJson;
  const listed = new Set(m.files.map((f) => f.path));
  const base = m.graph.file.includes("/") ? m.graph.file.slice(0, m.graph.file.lastIndexOf("/") + 1) : "";
  const shards: Uint8Array[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      if (!listed.has(base + p)) {
        throw new AlignSamError(
          "MODEL_MANIFEST",
          `${m.graph.file} loads weights from "${base + p}", which the manifest does not list with its sha256`,
        );
      }
      shards.push(await readFile(modelFilePath(pkg, base + p)));
    }
    weightSpecs.push(...group.weights);
  }
  const names = new Set(json.modelTopology.node.map((n) => n.name));
  const specs: [string, TensorSpec][] = [
    ["input image", m.graph.inputs.image],
    ["output heatmap", m.graph.outputs.heatmap],
    ["output detections", m.graph.outputs.detections],
    ["output features", m.graph.outputs.features],
  ];
  for (const [role, spec] of specs) {
    if (!names.has(spec.name)) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `${role} '${spec.name}' is not a node of ${m.graph.file}; check the manifest's tensor names`,
        { role, name: spec.name },
      );
    }
  }
  const weightData = Buffer.concat(shards);
  const graph = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as unknown as tf.io.ModelJSON["modelTopology"],
      weightSpecs,
      weightData: weightData.buffer.slice(
        weightData.byteOffset,
        weightData.byteOffset + weightData.byteLength,
      ),
    }),
  );
  const size = m.inputSize;
  const scale = m.inputRange === "0-1" ? 1 / 255 : 1;
  const outputSpecs = [m.graph.outputs.heatmap, m.graph.outputs.detections, m.graph.outputs.features];

  async function runNodes(image: RgbImage, nodes: readonly string[]): Promise<GraphOutput[]> {
    if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 3) {
      throw new AlignSamError(
        "IMAGE_EMPTY",
        `cannot run CenterNet on a ${image.width}x${image.height} image with ${image.data.length} bytes`,
      );
    }
    const input = tf.tidy(() => {
      const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], "int32").toFloat();
      const resized = tf.image.resizeBilinear(pixels, [size, size]);
      return (scale === 1 ? resized : resized.mul(scale)).expandDims(0);
    });
    const out = graph.execute({ [m.graph.inputs.image.name]: input }, [...nodes]) as tf.Tensor | tf.Tensor[];
    const tensors = Array.isArray(out) ? out : [out];
    try {
      return await Promise.all(
        tensors.map(async (t) => ({ data: (await t.data()) as Float32Array, shape: t.shape })),
      );
    } finally {
      tf.dispose([input, ...tensors]);
    }
  }

  // The last few images' outputs (~6.5 MB each), keyed by pixel buffer identity: the encoder and the
  // prior of one image share a run, while a worker's or a training set's images are never all kept.
  const recent = new Map<Uint8Array, Promise<CenterNetOutputs>>();
  async function runAll(image: RgbImage): Promise<CenterNetOutputs> {
    const [heatmap, detections, features] = await runNodes(
      image,
      outputSpecs.map((s) => s.name),
    );
    return { heatmap, detections, features };
  }

  // Probe: the real graph must give the manifest's shapes before anything relies on them.
  const probe = await runAll({ width: size, height: size, data: new Uint8Array(size * size * 3) });
  for (const [spec, out] of [
    [m.graph.outputs.heatmap, probe.heatmap],
    [m.graph.outputs.detections, probe.detections],
    [m.graph.outputs.features, probe.features],
  ] as const) {
    if (!shapeMatches(spec, out.shape)) {
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `CenterNet output '${spec.name}': manifest says [${spec.shape.join(",")}], model gives [${out.shape.join(",")}]`,
        { name: spec.name, expected: spec.shape, actual: out.shape },
      );
    }
  }
  return {
    manifest: m,
    modelId: `${m.id}@${m.version}`,
    runNodes,
    run(image) {
      let p = recent.get(image.data);
      if (p) recent.delete(image.data);
      else {
        p = runAll(image);
        p.catch(() => recent.delete(image.data));
      }
      recent.set(image.data, p);
      while (recent.size > RECENT_IMAGES) recent.delete(recent.keys().next().value as Uint8Array);
      return p;
    },
  };
}
