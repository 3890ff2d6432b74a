/**
 * What an ONNX file really takes and gives, as manifest TensorSpecs: the starting point for writing
 * a manifest for a new export (copy the specs, assign them roles, add the sha256 from sha256File).
 */
import ort from "onnxruntime-node";
import { AlignSamError } from "../../errors.ts";
import { type TensorDtype, TensorDtypeSchema, type TensorSpec } from "./schema.ts";

function toSpec(m: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!m.isTensor) return { name: m.name, dtype: "float32", shape: [] };
  const dtype = TensorDtypeSchema.safeParse(m.type);
  return {
    name: m.name,
    dtype: dtype.success ? dtype.data : (m.type as TensorDtype),
    shape: m.shape.map((d) => (typeof d === "number" && d > 0 ? d : typeof d === "string" && d ? d : -1)),
  };
}

/**
 * Opens an ONNX file on the CPU and lists its inputs and outputs.
 * @example
 * const { inputs } = await inspectOnnxModel("sam_vit_b_decoder.onnx");
 * // [{ name: "image_embeddings", dtype: "float32", shape: [1, 256, 64, 64] }, ...]
 */
export async function inspectOnnxModel(
  path: string,
): Promise<{ inputs: TensorSpec[]; outputs: TensorSpec[] }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, { executionProviders: ["cpu"] });
  } catch (e) {
    throw new AlignSamError(
      "MODEL_MISMATCH",
      `${path} could not be loaded by ONNX Runtime: ${(e as Error).message}`,
    );
  }
  try {
    return { inputs: session.inputMetadata.map(toSpec), outputs: session.outputMetadata.map(toSpec) };
  } finally {
    await session.release();
  }
}
