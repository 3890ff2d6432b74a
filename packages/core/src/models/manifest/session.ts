/**
 * Opens an ONNX Runtime session for one of a manifest's models and checks the real graph against
 * what the manifest promises (names, dtypes, shapes) before anything runs: a mismatch is refused
 * with MODEL_MISMATCH naming the tensor, instead of surfacing later as an obscure ORT error.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ort from "onnxruntime-node";
import { AlignSamError } from "../../errors.ts";
import { type LoadedManifest, modelFilePath } from "./load.ts";
import type { Dim, TensorSpec } from "./schema.ts";

export type ExecutionProvider = "cuda" | "cpu";

export interface SessionOptions {
  /** "auto": CUDA when onnxruntime-node can load it, else CPU. @default "auto" */
  executionProviders?: "auto" | readonly ExecutionProvider[];
  /** Threads inside one op (0 = ORT's default). @default 0 */
  intraOpNumThreads?: number;
  /** Threads across ops (0 = ORT's default). @default 0 */
  interOpNumThreads?: number;
}

/** The part of a manifest describing one ONNX file: its file and its tensors by role. */
export interface SessionSpec {
  readonly file: string;
  readonly inputs: Readonly<Record<string, TensorSpec | undefined>>;
  readonly outputs: Readonly<Record<string, TensorSpec | undefined>>;
}

export interface OpenedSession {
  readonly session: ort.InferenceSession;
  /** The provider the session was created with. */
  readonly provider: ExecutionProvider;
}

const fmtDim = (d: Dim | number | string) => (d === -1 ? "?" : String(d));
const fmtShape = (shape: readonly (Dim | number | string)[]) => `[${shape.map(fmtDim).join(",")}]`;
const isDynamic = (d: Dim | number | string) => typeof d === "string" || d === -1;

interface Actual {
  readonly name: string;
  readonly dtype?: string;
  readonly shape?: readonly (number | string)[];
}

function describeActual(a: Actual): string {
  return `${a.dtype ?? "?"} ${a.shape ? (a.shape.length === 0 ? "[] (unknown)" : fmtShape(a.shape)) : "?"}`;
}

/**
 * Why one tensor's metadata disagrees with its spec, or undefined. For inputs a dimension the
 * manifest calls dynamic must be dynamic in the model too (the adapter will feed varying sizes);
 * for outputs only fixed-vs-fixed sizes are compared.
 */
function shapeProblem(spec: TensorSpec, actual: Actual, isInput: boolean): string | undefined {
  if (actual.dtype !== undefined && actual.dtype !== spec.dtype) return "dtype";
  const shape = actual.shape;
  if (!shape || shape.length === 0) return undefined; // ORT could not tell: nothing to compare
  if (shape.length !== spec.shape.length) return "rank";
  for (let i = 0; i < shape.length; i++) {
    const want = spec.shape[i];
    const got = shape[i];
    if (isDynamic(got)) continue;
    if (isDynamic(want)) {
      if (isInput) return `dimension ${i}`;
      continue;
    }
    if (want !== got) return `dimension ${i}`;
  }
  return undefined;
}

function metadataOf(list: readonly ort.InferenceSession.ValueMetadata[] | undefined, name: string): Actual {
  const m = list?.find((v) => v.name === name);
  if (!m?.isTensor) return { name };
  return { name, dtype: m.type, shape: m.shape };
}

/**
 * Compares a session with its manifest section; throws MODEL_MISMATCH on the first disagreement.
 * Every model input must be described (the adapter feeds only what the manifest names); every
 * described output must exist.
 */
export function checkSessionAgainstSpec(
  label: string,
  spec: SessionSpec,
  session: Pick<ort.InferenceSession, "inputNames" | "outputNames" | "inputMetadata" | "outputMetadata">,
): void {
  const sides = [
    { side: "input", specs: spec.inputs, names: session.inputNames, meta: session.inputMetadata },
    { side: "output", specs: spec.outputs, names: session.outputNames, meta: session.outputMetadata },
  ] as const;
  for (const { side, specs, names, meta } of sides) {
    const described = Object.values(specs).filter((s): s is TensorSpec => s !== undefined);
    for (const s of described) {
      if (!names.includes(s.name)) {
        throw new AlignSamError(
          "MODEL_MISMATCH",
          `${label} ${side} '${s.name}': the manifest names it but the model has no such ${side}; the model's ${side}s are: ${names.join(", ")}`,
          { tensor: s.name, side, valid: [...names] },
        );
      }
      const actual = metadataOf(meta, s.name);
      const problem = shapeProblem(s, actual, side === "input");
      if (problem) {
        throw new AlignSamError(
          "MODEL_MISMATCH",
          `${label} ${side} '${s.name}': manifest says ${s.dtype} ${fmtShape(s.shape)}, model has ${describeActual(actual)} (${problem} differs)`,
          { tensor: s.name, side, manifest: { dtype: s.dtype, shape: s.shape }, model: actual },
        );
      }
    }
    if (side === "input") {
      const known = new Set(described.map((s) => s.name));
      const missing = names.filter((n) => !known.has(n));
      if (missing.length > 0) {
        throw new AlignSamError(
          "MODEL_MISMATCH",
          `${label} input '${missing[0]}': the model needs it but the manifest does not describe it (the manifest describes: ${[...known].join(", ")})`,
          { tensor: missing[0], side },
        );
      }
    }
  }
}

let cudaUnavailable = false;

/**
 * Whether onnxruntime-node can load its CUDA provider: listed as a backend and its provider
 * libraries installed beside the binding (they are an optional download at npm install time).
 * Checked on disk so that a CPU-only machine does not log a failed load on every session.
 */
export function cudaAvailable(): boolean {
  if (cudaUnavailable || !ort.listSupportedBackends().some((b) => b.name === "cuda")) return false;
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve("onnxruntime-node")), "..", "bin");
    return readdirSync(bin).some((napi) =>
      existsSync(join(bin, napi, process.platform, process.arch, "libonnxruntime_providers_cuda.so")),
    );
  } catch {
    return false;
  }
}

async function create(path: string, providers: readonly ExecutionProvider[], options: SessionOptions) {
  return ort.InferenceSession.create(path, {
    executionProviders: [...providers],
    intraOpNumThreads: options.intraOpNumThreads ?? 0,
    interOpNumThreads: options.interOpNumThreads ?? 0,
    graphOptimizationLevel: "all",
  });
}

/**
 * Creates an InferenceSession for `spec.file` of a loaded manifest and checks it against `spec`.
 * `label` names the model in errors ("decoder", "text model").
 */
export async function openSession(
  loaded: LoadedManifest,
  spec: SessionSpec,
  label: string,
  options: SessionOptions = {},
): Promise<OpenedSession> {
  const path = modelFilePath(loaded, spec.file);
  const requested = options.executionProviders ?? "auto";
  let session: ort.InferenceSession;
  let provider: ExecutionProvider = "cpu";
  try {
    if (requested === "auto") {
      if (cudaAvailable()) {
        try {
          session = await create(path, ["cuda", "cpu"], options);
          provider = "cuda";
        } catch {
          cudaUnavailable = true; // provider library absent: do not try again in this process
          session = await create(path, ["cpu"], options);
        }
      } else {
        session = await create(path, ["cpu"], options);
      }
    } else {
      session = await create(path, requested, options);
      provider = requested[0] ?? "cpu";
    }
  } catch (e) {
    throw new AlignSamError(
      "MODEL_MISMATCH",
      `${label} (${spec.file}) could not be loaded by ONNX Runtime: ${(e as Error).message}`,
    );
  }
  try {
    checkSessionAgainstSpec(label, spec, session);
  } catch (e) {
    await session.release();
    throw e;
  }
  return { session, provider };
}
