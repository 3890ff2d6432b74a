/**
 * A tiny ONNX graph builder for test fixtures: real ModelProto bytes (onnx-proto) that
 * onnxruntime-node loads and runs, so adapters are exercised end to end without any real weights.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export type FixtureDtype = "float32" | "int64";
/** A dimension: a fixed size, or a symbolic name (dynamic). */
export type FixtureDim = number | string;

const DATA_TYPE: Record<FixtureDtype, number> = { float32: 1, int64: 7 };

type AttrValue = number | string | readonly number[] | { readonly floats: readonly number[] };

export interface FixtureNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
}

function valueInfo(name: string, dtype: FixtureDtype, shape: readonly FixtureDim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DATA_TYPE[dtype],
        shape: onnx.TensorShapeProto.create({
          dim: shape.map((d) =>
            typeof d === "number"
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttrValue) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: A.INT, i: value })
      : onnx.AttributeProto.create({ name, type: A.FLOAT, f: value });
  }
  if (typeof value === "string") {
    return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  }
  if ("floats" in value)
    return onnx.AttributeProto.create({ name, type: A.FLOATS, floats: [...value.floats] });
  return onnx.AttributeProto.create({ name, type: A.INTS, ints: [...value] });
}

/** Collects nodes, initializers and graph inputs/outputs, then serialises a runnable model. */
export class GraphBuilder {
  private readonly nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  private readonly initializers: ReturnType<typeof onnx.TensorProto.create>[] = [];
  private readonly inputs: ReturnType<typeof onnx.ValueInfoProto.create>[] = [];
  private readonly outputs: ReturnType<typeof onnx.ValueInfoProto.create>[] = [];
  private counter = 0;

  input(name: string, dtype: FixtureDtype, shape: readonly FixtureDim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  output(name: string, dtype: FixtureDtype, shape: readonly FixtureDim[]): string {
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** A float32 constant (initializer); returns its name. */
  floats(values: ArrayLike<number>, dims: readonly number[], name = this.fresh("f")): string {
    const data = Float32Array.from(values as ArrayLike<number>);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: DATA_TYPE.float32,
        dims: [...dims],
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** An int64 constant (initializer); returns its name. */
  ints(values: readonly number[], dims: readonly number[] = [values.length], name = this.fresh("i")): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: DATA_TYPE.int64,
        dims: [...dims],
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** Adds one node; with no explicit output names, a fresh one is made and returned. */
  op(
    op: string,
    inputs: readonly string[],
    attrs?: Record<string, AttrValue>,
    outputs?: readonly string[],
  ): string {
    const outs = outputs ?? [this.fresh(op.toLowerCase())];
    this.nodes.push(
      onnx.NodeProto.create({
        opType: op,
        input: [...inputs],
        output: [...outs],
        name: this.fresh(`n_${op}`),
        attribute: Object.entries(attrs ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outs[0];
  }

  /** Serialises the graph as an ONNX model (IR 8, opset 17). */
  toBytes(graphName = "fixture"): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "alignsam-test-fixture",
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 17 })],
      graph: onnx.GraphProto.create({
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }
}
