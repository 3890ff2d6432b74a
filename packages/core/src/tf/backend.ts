/**
 * TensorFlow.js backend selection for the agent and the SRM. The nets are small, so the choice is
 * about per-op overhead: tfjs-node(-gpu) when installed, else WebAssembly when its kernels can run a
 * training step of our nets, else the pure-JS cpu backend. `ALIGNSAM_TF_BACKEND` forces one.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ActorCritic } from "../agent/policy-net.ts";
import { createPpoOptimizer, ppoUpdate } from "../agent/ppo.ts";
import { AlignSamError } from "../errors.ts";
import { Srm } from "../srm/srm.ts";

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
 * One PPO update of a tiny actor-critic and one SRM step of each branch: every kernel our training
 * needs runs forward and backward. A backend missing a kernel throws here, so selection falls through
 * to the next backend instead of failing mid-training.
 */
export function probeTraining(): void {
  const shape = { inputChannels: 5, stateSize: 4, gridSide: 2, hidden: 4 };
  const net = new ActorCritic(shape, 1);
  const state = Float32Array.from({ length: 4 * 4 * 5 }, (_, i) => Math.sin(i));
  const available = Uint8Array.from([1, 1, 0, 1]);
  const transitions = [0, 1].map((action) => ({
    state,
    available,
    action,
    reward: 1,
    logProb: -1.2,
    value: 0,
  }));
  const optimizer = createPpoOptimizer(1e-3);
  try {
    ppoUpdate(net, optimizer, [{ transitions, bootstrap: 0 }], {
      gamma: 0.9,
      clip: 0.2,
      epochs: 1,
      entropy: 0.01,
      normalizeAdvantages: true,
    });
    for (const branch of ["implicit", "explicit"] as const) {
      const srm = new Srm({ branch, embeddingChannels: 2, stateSize: 4, gridSide: 2, hidden: 4 }, 2);
      try {
        const semantic = branch === "explicit" ? new Float32Array(4 * 4 * 3).fill(0.5) : undefined;
        srm.train([state], semantic, new Float32Array(16).fill(1), 1, 1e-3);
      } finally {
        srm.dispose();
      }
    }
  } finally {
    net.dispose();
    optimizer.dispose();
  }
}

/** Name of the active backend, for policy cards and logs. */
export function activeTfBackend(): string {
  return tf.getBackend();
}
