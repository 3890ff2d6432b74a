/**
 * Stored policies: a folder (local path or s3://bucket/prefix) holding card.json, weights.json (a
 * tfjs weights manifest, as in model.json) and weights.bin. card.json is written last, so a folder
 * with a card is complete. Loading checks the card against the segmenter that will run it.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import type { SegmenterInfo } from "../models/ports.ts";
import { openBlobStore } from "../storage/open.ts";
import { initTf } from "../tf/backend.ts";
import { POLICY_FORMAT_VERSION, PolicyCardSchema } from "./card.ts";
import { assertCompatible } from "./compat.ts";
import { createNetworks, makePolicy, type Policy, policyTensors } from "./policy.ts";

const WEIGHTS_FORMAT = "alignsam-policy-weights";

const WeightsFileSchema = z.object({
  format: z.literal(WEIGHTS_FORMAT),
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string()),
        weights: z.array(
          z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.literal("float32") }),
        ),
      }),
    )
    .length(1),
});

export interface PolicyStoreOptions {
  /** S3 client for s3:// URIs (default: a client from the environment's configuration). */
  readonly s3Client?: S3Client;
}

/** A policy's files by name (card.json, weights.json, weights.bin), as a worker holds them. */
export type PolicyFiles = ReadonlyMap<string, Uint8Array>;

type ReadFile = (name: string) => Promise<Uint8Array | undefined>;

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * A policy's files, in the order they are written: weights first, card.json last (a folder with a
 * card is complete).
 *
 * @example const files = await encodePolicy(policy); // Map { "weights.bin" => ..., "card.json" => ... }
 */
export async function encodePolicy(policy: Policy): Promise<Map<string, Uint8Array>> {
  const tensors = policyTensors(policy);
  const { data, specs } = await tf.io.encodeWeights(tensors);
  tf.dispose([tensors["features/mean"], tensors["features/std"]]);
  return new Map([
    ["weights.bin", new Uint8Array(data)],
    [
      "weights.json",
      json({ format: WEIGHTS_FORMAT, weightsManifest: [{ paths: ["weights.bin"], weights: specs }] }),
    ],
    ["card.json", json(PolicyCardSchema.parse(policy.card))],
  ]);
}

/**
 * Writes a policy to a folder or s3://bucket/prefix (weights first, card.json last).
 *
 * @example await savePolicy(policy, "policies/blur/v3");
 */
export async function savePolicy(
  policy: Policy,
  uri: string,
  options: PolicyStoreOptions = {},
): Promise<void> {
  const store = await openBlobStore(uri, options);
  for (const [name, bytes] of await encodePolicy(policy)) {
    await store.put(name, bytes, {
      contentType: name.endsWith(".json") ? "application/json" : "application/octet-stream",
    });
  }
}

/**
 * Reads a policy; with `segmenterInfo`, refuses one made for another backend, model or embedding
 * shape (POLICY_INCOMPATIBLE). A folder without card.json is POLICY_NOT_FOUND.
 */
export async function loadPolicy(
  uri: string,
  options: PolicyStoreOptions & { segmenterInfo?: SegmenterInfo } = {},
): Promise<Policy> {
  const store = await openBlobStore(uri, options);
  return readPolicy(async (name) => (await store.get(name))?.bytes, uri, options);
}

/**
 * A policy from its files in memory (a version read from the service's bucket), checked exactly as
 * loadPolicy checks a folder; `where` names it in errors.
 *
 * @example const policy = await loadPolicyFiles(files, "policies/blur/v3", { segmenterInfo });
 */
export function loadPolicyFiles(
  files: PolicyFiles,
  where: string,
  options: { segmenterInfo?: SegmenterInfo } = {},
): Promise<Policy> {
  return readPolicy(async (name) => files.get(name), where, options);
}

async function readPolicy(
  read: ReadFile,
  uri: string,
  options: { segmenterInfo?: SegmenterInfo },
): Promise<Policy> {
  await initTf();
  const cardBytes = await read("card.json");
  if (!cardBytes)
    throw new AlignSamError("POLICY_NOT_FOUND", `no policy at ${uri} (card.json is missing)`, { uri });
  const raw = JSON.parse(new TextDecoder().decode(cardBytes)) as {
    formatVersion?: unknown;
    task?: { name?: unknown };
  };
  if (raw.formatVersion !== POLICY_FORMAT_VERSION) {
    const task = typeof raw.task?.name === "string" ? raw.task.name : "TASK";
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `policy at ${uri} has format version ${String(raw.formatVersion)}; this build reads version ${POLICY_FORMAT_VERSION} ` +
        `(dense SRM). Retrain it: npm run alignsam -- train --task ${task} --out <folder> (see policies/README.md)`,
      { uri, formatVersion: raw.formatVersion, expected: POLICY_FORMAT_VERSION },
    );
  }
  const parsed = PolicyCardSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `policy card at ${uri} is not a valid version-${POLICY_FORMAT_VERSION} card: ${parsed.error.message}`,
    );
  }
  const card = parsed.data;
  if (options.segmenterInfo) assertCompatible(card, options.segmenterInfo);
  const manifestBytes = await read("weights.json");
  const binBytes = await read("weights.bin");
  if (!manifestBytes || !binBytes) {
    throw new AlignSamError(
      "POLICY_NOT_FOUND",
      `policy at ${uri} has a card but no weights.json / weights.bin`,
      { uri },
    );
  }
  const manifest = WeightsFileSchema.parse(JSON.parse(new TextDecoder().decode(manifestBytes)));
  const buffer = binBytes.buffer.slice(
    binBytes.byteOffset,
    binBytes.byteOffset + binBytes.byteLength,
  ) as ArrayBuffer;
  const weights = tf.io.decodeWeights(buffer, manifest.weightsManifest[0].weights);
  const { net, srm } = createNetworks(card, card.seed);
  try {
    for (const params of [net.params, srm.params]) {
      for (const [name, variable] of params) {
        const w = weights[name];
        if (!w || w.shape.join() !== variable.shape.join()) {
          throw new AlignSamError(
            "POLICY_INCOMPATIBLE",
            `policy at ${uri}: weight ${name} is ${w ? `[${w.shape}]` : "missing"}, the card's architecture needs [${variable.shape}]`,
          );
        }
        variable.assign(w);
      }
    }
    const mean = weights["features/mean"];
    const std = weights["features/std"];
    if (!mean || !std)
      throw new AlignSamError("POLICY_INCOMPATIBLE", `policy at ${uri} has no feature statistics`);
    const stats = { mean: Array.from(mean.dataSync()), std: Array.from(std.dataSync()) };
    return makePolicy(card, net, srm, stats);
  } catch (e) {
    net.dispose();
    srm.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(weights));
  }
}
