/**
 * Feeds and reads ORT tensors in the dtype a manifest declares, so an export with int64 labels and
 * one with float32 labels both work from the same adapter code.
 */
import ort from "onnxruntime-node";
import { AlignSamError } from "../../errors.ts";
import type { TensorSpec } from "./schema.ts";

/** A tensor of `spec.dtype` holding `values` (floats are truncated for integer dtypes). */
export function tensorFor(spec: TensorSpec, values: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  switch (spec.dtype) {
    case "float32":
      return new ort.Tensor(
        "float32",
        values instanceof Float32Array ? values : Float32Array.from(values),
        dims,
      );
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))),
        dims,
      );
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(values), dims);
    default:
      throw new AlignSamError(
        "MODEL_MISMATCH",
        `input '${spec.name}' is declared ${spec.dtype}; the adapters feed float32, int64 or int32 only`,
      );
  }
}

/** The float32 data of an output, refusing anything else with a message naming the tensor. */
export function floatOutput(
  outputs: ort.InferenceSession.OnnxValueMapType,
  spec: TensorSpec,
): {
  data: Float32Array;
  dims: readonly number[];
} {
  const t = outputs[spec.name] as ort.Tensor | undefined;
  if (!t) throw new AlignSamError("MODEL_MISMATCH", `output '${spec.name}' was not produced by the model`);
  if (t.type !== "float32") {
    throw new AlignSamError("MODEL_MISMATCH", `output '${spec.name}' is ${t.type}; float32 expected`);
  }
  return { data: t.data as Float32Array, dims: t.dims };
}
