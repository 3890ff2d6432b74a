/**
 * The few layer primitives the actor, critic and SRM share, written on plain tf.Variables so that
 * losses, optimisers and serialisation stay fully under our control. 1 x 1 convolutions are
 * matMuls; 3 x 3 ones run the native conv2d with hand-written gradients, because the WebAssembly
 * backend (the fastest one installed here) has no Conv2DBackpropFilter kernel and its transposed
 * matMul, concat and split are slow (each measured 3-10x slower than the path used here).
 */
import * as tf from "@tensorflow/tfjs";
import type { Random } from "../util/random.ts";

/** Named trainable parameters of one network, in a stable order. */
export type ParamMap = Map<string, tf.Variable>;

/** He-normal weights (ReLU nets) drawn from our own seeded generator, identical on every backend. */
export function heNormal(shape: number[], fanIn: number, rng: Random, gain = Math.SQRT2): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const std = gain / Math.sqrt(fanIn);
  for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
  return tf.tensor(data, shape, "float32");
}

/** A trainable variable that owns its data (the initial tensor is released). */
function ownedVariable(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}

/** Registers the weight and bias of a k x k conv (k = 1 or 3) under `name/w`, `name/b` (name: "actor/reduce"). */
export function addConv(
  params: ParamMap,
  name: string,
  kernel: 1 | 3,
  cin: number,
  cout: number,
  rng: Random,
  gain?: number,
): void {
  const fanIn = kernel * kernel * cin;
  // Variables stay unnamed (tfjs names must be unique per process and two policies may coexist);
  // the map key is the stable name that serialisation uses.
  params.set(`${name}/w`, ownedVariable(heNormal([fanIn, cout], fanIn, rng, gain)));
  params.set(`${name}/b`, ownedVariable(tf.zeros([cout])));
}

/** Registers a dense layer's weight and bias. */
export function addDense(
  params: ParamMap,
  name: string,
  cin: number,
  cout: number,
  rng: Random,
  gain?: number,
): void {
  addConv(params, name, 1, cin, cout, rng, gain);
}

function param(params: ParamMap, key: string): tf.Variable {
  const v = params.get(key);
  if (!v) throw new Error(`missing parameter ${key}`);
  return v;
}

/**
 * matMul whose gradients use explicit transposes: the WebAssembly backend's transposed matMul is
 * about 10x slower than transpose + plain matMul (measured: 117 ms vs 18 ms for 6000x288x32).
 */
export const linear = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      return [
        tf.matMul(g, tf.transpose(saved[1] as tf.Tensor2D)),
        tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), g),
      ];
    },
  };
  // biome-ignore lint/suspicious/noExplicitAny: tfjs types customGrad's callback too narrowly
}) as any) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * 3 x 3 neighbourhoods at a dilation (taps `dilation` apart), [B, H, W, C] -> [B, H, W, 9C] (zero
 * padded): im2col, the reference that `conv3x3` is tested against. Not used by the nets: its concat
 * and its gradient (a split) are slow on WebAssembly (measured 3x slower training than `conv3x3`).
 */
export function neighbourhoods(x: tf.Tensor4D, dilation = 1): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const d = dilation;
  const padded = tf.pad(x, [
    [0, 0],
    [d, d],
    [d, d],
    [0, 0],
  ]);
  const slices: tf.Tensor4D[] = [];
  for (let k = 0; k < 9; k++)
    slices.push(padded.slice([0, Math.floor(k / 3) * d, (k % 3) * d, 0], [n, h, w, c]));
  return tf.concat(slices, 3);
}

type Conv3x3 = (x: tf.Tensor4D, w: tf.Tensor2D) => tf.Tensor4D;

/**
 * 3 x 3 "same" convolution with taps `dilation` apart (weights [9C, Cout], im2col order) on the
 * backend's native conv2d, with hand-written gradients: WebAssembly lacks Conv2DBackpropFilter and
 * tfjs has no gradient for dilations > 1. The input gradient is a "same" conv of dy with the filter
 * flipped in space and transposed in channels (same dilation); the filter gradient is the correlation
 * of the padded input with dy, one more conv2d with batch and channel axes swapped and stride
 * `dilation`, which lands exactly on the 3 x 3 taps.
 */
function makeConv3x3(dilation: number): Conv3x3 {
  const d = dilation;
  return tf.customGrad(((x: tf.Tensor4D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const c = x.shape[3];
    const cout = w.shape[1];
    save([x, w]);
    return {
      value: tf.conv2d(x, w.reshape([3, 3, c, cout]) as tf.Tensor4D, 1, "same", "NHWC", d),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor2D];
        const ci = xs.shape[3];
        const co = ws.shape[1];
        const g = dy as tf.Tensor4D;
        const flipped = tf.transpose(
          tf.reverse(ws.reshape([3, 3, ci, co]), [0, 1]),
          [0, 1, 3, 2],
        ) as tf.Tensor4D;
        const dx = tf.conv2d(g, flipped, 1, "same", "NHWC", d);
        const padded = tf.pad(xs, [
          [0, 0],
          [d, d],
          [d, d],
          [0, 0],
        ]);
        // dW[ky, kx, i, o] = sum_{b, y, x} xpad[b, y + ky d, x + kx d, i] * dy[b, y, x, o]
        const input = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, h+2d, w+2d, n]
        const filter = tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D; // [h, w, n, co]
        const dw = tf.conv2d(input, filter, d, "valid"); // [ci, 3, 3, co]
        return [dx, tf.transpose(dw, [1, 2, 0, 3]).reshape([9 * ci, co])];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: tfjs types customGrad's callback too narrowly
  }) as any) as Conv3x3;
}

const convByDilation = new Map<number, Conv3x3>();

/** The 3 x 3 conv at `dilation` (1: plain); one differentiable op per dilation, built once. */
export function dilatedConv3x3(dilation: number): Conv3x3 {
  let f = convByDilation.get(dilation);
  if (!f) {
    f = makeConv3x3(dilation);
    convByDilation.set(dilation, f);
  }
  return f;
}

/** The plain 3 x 3 "same" convolution (weights [9C, Cout], im2col order). */
export const conv3x3: Conv3x3 = dilatedConv3x3(1);

/** 3 x 3 conv layer on `conv3x3` (weights [9C, Cout], bias [Cout]). */
export function conv3(params: ParamMap, name: string, x: tf.Tensor4D, dilation = 1): tf.Tensor4D {
  const f = dilatedConv3x3(dilation);
  return tf.add(f(x, param(params, `${name}/w`) as tf.Tensor2D), param(params, `${name}/b`));
}

/** Per-position linear map (a 1 x 1 conv; a 3 x 3 one when applied to `neighbourhoods` output). */
export function conv(params: ParamMap, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const w = param(params, `${name}/w`) as tf.Tensor2D;
  const b = param(params, `${name}/b`);
  const [n, h, wd, c] = x.shape;
  return tf.add(linear(x.reshape([n * h * wd, c]), w), b).reshape([n, h, wd, w.shape[1]]);
}

/** Adds a per-image context vector (mean over positions through a dense layer) to every position. */
export function globalContext(params: ParamMap, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const g = tf.relu(dense(params, name, x.mean([1, 2]) as tf.Tensor2D));
  return tf.add(x, g.reshape([n, 1, 1, c]));
}

/** Dense layer on [batch, features]. */
export function dense(params: ParamMap, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(linear(x, param(params, `${name}/w`) as tf.Tensor2D), param(params, `${name}/b`));
}

/** Average pooling by an integer factor (R -> R / f), for going from state to grid resolution. */
export function poolBy(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  return factor === 1 ? x : tf.avgPool(x, factor, factor, "valid");
}

/**
 * 2 x 2 average pooling (H and W even) as a reshape and a mean: differentiable on every backend
 * (WebAssembly has no AvgPoolGrad).
 */
export function halve(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return x.reshape([n, h / 2, 2, w / 2, 2, c]).mean([2, 4]) as tf.Tensor4D;
}

/** Nearest-neighbour 2x upsampling as a broadcast, differentiable on every backend. */
export function double(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.mul(x.reshape([n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1])).reshape([n, 2 * h, 2 * w, c]);
}

/** Disposes every variable of a parameter map. */
export function disposeParams(params: ParamMap): void {
  for (const v of params.values()) v.dispose();
}

/** Parameter count, for cards and logs. */
export function countParams(params: ParamMap): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}
