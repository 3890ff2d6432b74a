/**
 * TensorFlow.js backend selection for the agent and the SRM. The nets are small, so the choice is
 * about per-op overhead: tfjs-node(-gpu) when installed, else WebAssembly when its kernels can run a
 * training step of our nets, else the pure-JS cpu backend. `ALIGNSAM_TF_BACKEND` forces one.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { AlignSamError } from "../errors.ts";
import {
  addConv,
  addDense,
  conv,
  conv3,
  disposeParams,
  double,
  globalContext,
  halve,
  type ParamMap,
} from "../nn/layers.ts";
import { createRandom } from "../util/random.ts";

export const TF_BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type TfBackendName = (typeof TF_BACKENDS)[number];

export interface TfInitResult {
  readonly backend: TfBackendName;
  /** Why each faster candidate was skipped (missing package, missing kernel, ...). */
  readonly skipped: readonly { backend: TfBackendName; reason: string }[];
}

let initialised: Promise<TfInitResult> | undefined;

/**
 * Picks and activates the fastest usable backend once per process; later calls return the same
 * answer, so every entry point can call it without caring who called it first.
 *
 * @example
 * const { backend } = await initTf(); // "cpu" on a machine without tfjs-node
 */
export function initTf(options: { prefer?: TfBackendName } = {}): Promise<TfInitResult> {
  initialised ??= selectBackend(options.prefer ?? readOverride());
  return initialised;
}

function readOverride(): TfBackendName | undefined {
  const value = process.env.ALIGNSAM_TF_BACKEND;
  if (!value) return undefined;
  if (!(TF_BACKENDS as readonly string[]).includes(value)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `ALIGNSAM_TF_BACKEND="${value}" is not a backend; expected one of: ${TF_BACKENDS.join(", ")}`,
      { valid: [...TF_BACKENDS] },
    );
  }
  return value as TfBackendName;
}

async function selectBackend(prefer: TfBackendName | undefined): Promise<TfInitResult> {
  const skipped: { backend: TfBackendName; reason: string }[] = [];
  const order: TfBackendName[] = prefer ? [prefer] : [...TF_BACKENDS];
  for (const name of order) {
    const reason = await tryActivate(name);
    if (reason === undefined) return { backend: name, skipped };
    skipped.push({ backend: name, reason });
  }
  if (prefer && prefer !== "cpu") {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `TensorFlow.js backend "${prefer}" is unusable: ${skipped[0]?.reason}`,
    );
  }
  await tf.setBackend("cpu");
  return { backend: "cpu", skipped };
}

/** Returns undefined when the backend is active and passed the training probe, else why not. */
async function tryActivate(name: TfBackendName): Promise<string | undefined> {
  try {
    if (name === "tensorflow") {
      // Optional native bindings: registering them is a side effect of importing the package.
      const gpu = await importOptional("@tensorflow/tfjs-node-gpu");
      if (!gpu && !(await importOptional("@tensorflow/tfjs-node"))) return "tfjs-node is not installed";
    }
    if (name === "wasm") {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      const require = createRequire(import.meta.url);
      const dist = path.join(
        path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")),
        "dist",
      );
      wasm.setWasmPaths(`${dist}${path.sep}`);
    }
    if (!(await tf.setBackend(name))) return `tf.setBackend("${name}") failed`;
    probeTraining();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function importOptional(specifier: string): Promise<unknown> {
  try {
    return await import(/* @vite-ignore */ specifier);
  } catch {
    return undefined;
  }
}

/**
 * One Adam step on a loss that runs every kernel the agent's and the SRM's training use, forward and
 * backward (the shared primitives of nn/layers.ts: 1 x 1 and dilated 3 x 3 convs, halving, doubling,
 * global context, attention's transposed matMul; PPO's log-softmax, ratio clipping and one-hot; the
 * SRM's sigmoid cross-entropy). A backend missing a kernel throws here, so selection falls through to
 * the next backend instead of failing mid-training.
 */
export function probeTraining(): void {
  const rng = createRandom(1);
  const params: ParamMap = new Map();
  addConv(params, "p/reduce", 1, 3, 4, rng);
  addConv(params, "p/c1", 3, 4, 4, rng);
  addConv(params, "p/c2", 3, 4, 4, rng);
  addDense(params, "p/context", 4, 4, rng);
  const optimizer = tf.train.adam(1e-3);
  try {
    const cost = optimizer.minimize(
      () =>
        tf.tidy(() => {
          const x = tf.sin(tf.range(0, 2 * 4 * 4 * 3).reshape([2, 4, 4, 3])) as tf.Tensor4D;
          let h = tf.relu(conv(params, "p/reduce", x));
          h = tf.add(h, conv3(params, "p/c1", h));
          h = double(conv3(params, "p/c2", halve(h), 2));
          h = globalContext(params, "p/context", h);
          const flat = h.reshape([2, 16, 4]) as tf.Tensor3D;
          const att = tf.matMul(tf.softmax(tf.matMul(flat, flat, false, true)), flat);
          const logits = att.mean(2) as tf.Tensor2D;
          const logp = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d([1, 3], "int32"), 16)), 1);
          const ratio = tf.exp(tf.sub(logp, -1));
          const ppo = tf.neg(tf.minimum(ratio, tf.clipByValue(ratio, 0.8, 1.2))).mean();
          const z = logits;
          const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, 0.5)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))).mean();
          return tf.add(tf.add(ppo, bce), tf.square(tf.sigmoid(z)).mean()) as tf.Scalar;
        }),
      true,
      [...params.values()],
    );
    cost?.dataSync();
    cost?.dispose();
  } finally {
    disposeParams(params);
    optimizer.dispose();
  }
}

/** Name of the active backend, for policy cards and logs. */
export function activeTfBackend(): string {
  return tf.getBackend();
}
