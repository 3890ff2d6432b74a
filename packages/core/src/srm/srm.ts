/**
 * The semantic recalibration module (paper Sec. 3.3, Eq. 12), dense: y_r is a per-pixel foreground
 * probability over the embedding's frame (h x w, 64 x 64 here), computed once per image from the
 * normalised embedding E' (and M_c for the explicit branch). It labels every click (y_r at the click
 * > 0.5), places it inside the chosen cell, supplies P_0 and is one of the agent's inputs.
 *
 * It is an ensemble of k members, one per cross-fitting fold (fit.ts): member f never saw the
 * images of fold f, which gives the agent honest maps to learn from; at inference y_r is the mean
 * of the members' probabilities (averaging folds also steadies a head trained on ~50 images).
 */
import * as tf from "@tensorflow/tfjs";
import { countParams, disposeParams, type ParamMap } from "../nn/layers.ts";
import type { Branch } from "../tasks/registry.ts";
import { createRandom } from "../util/random.ts";
import { buildSrmNet, type SrmNetShape, srmLogits } from "./network.ts";

export interface SrmShape {
  readonly branch: Branch;
  /** Embedding channels C. */
  readonly embeddingChannels: number;
  /** Embedding frame h x w (y_r's resolution); both multiples of 4. */
  readonly height: number;
  readonly width: number;
  readonly hidden: number;
  /** Ensemble members (cross-fitting folds). */
  readonly members: number;
}

/** What the SRM reads for one image: E' as HWC at h x w, and M_c (h x w) for the explicit branch. */
export interface SrmInput {
  readonly features: Float32Array;
  readonly prior?: Float32Array;
}

/** CHW -> HWC (tf's layout). */
export function toHwc(chw: Float32Array, channels: number, height: number, width: number): Float32Array {
  const hw = height * width;
  const out = new Float32Array(chw.length);
  for (let c = 0; c < channels; c++) {
    const plane = c * hw;
    for (let p = 0; p < hw; p++) out[p * channels + c] = chw[plane + p];
  }
  return out;
}

export class Srm {
  readonly shape: SrmShape;
  readonly params: ParamMap = new Map();
  private readonly net: SrmNetShape;

  constructor(shape: SrmShape, seed: number) {
    if (shape.height % 4 !== 0 || shape.width % 4 !== 0) {
      throw new RangeError(
        `the SRM needs an embedding frame divisible by 4, got ${shape.height}x${shape.width}`,
      );
    }
    this.shape = shape;
    this.net = { branch: shape.branch, embeddingChannels: shape.embeddingChannels, hidden: shape.hidden };
    const rng = createRandom(seed);
    for (let m = 0; m < shape.members; m++) buildSrmNet(this.params, Srm.prefix(m), this.net, rng);
  }

  static prefix(member: number): string {
    return `srm/m${member}`;
  }

  /** Parameters of one member (its optimiser's variable list). */
  memberParams(member: number): tf.Variable[] {
    const p = `${Srm.prefix(member)}/`;
    return [...this.params].filter(([k]) => k.startsWith(p)).map(([, v]) => v);
  }

  /** Stacks inputs of several images into NHWC tensors. */
  batch(inputs: readonly SrmInput[]): { features: tf.Tensor4D; prior?: tf.Tensor4D } {
    const { height: h, width: w, embeddingChannels: c, branch } = this.shape;
    const n = inputs.length;
    const f = new Float32Array(n * h * w * c);
    for (const [i, x] of inputs.entries()) f.set(x.features, i * h * w * c);
    const features = tf.tensor4d(f, [n, h, w, c]);
    if (branch !== "explicit") return { features };
    const m = new Float32Array(n * h * w);
    for (const [i, x] of inputs.entries()) m.set(x.prior ?? new Float32Array(h * w).fill(1), i * h * w);
    return { features, prior: tf.tensor4d(m, [n, h, w, 1]) };
  }

  /** Logits [B, h, w, 1] of one member. */
  logits(member: number, x: { features: tf.Tensor4D; prior?: tf.Tensor4D }): tf.Tensor4D {
    return srmLogits(this.params, Srm.prefix(member), this.net, x.features, x.prior);
  }

  /** y_r (h x w, row-major, in [0, 1]) of one member, or of the ensemble (mean) when omitted. */
  predict(input: SrmInput, member?: number): Float32Array {
    return tf.tidy(() => {
      const x = this.batch([input]);
      const members = member === undefined ? [...Array(this.shape.members).keys()] : [member];
      const probs = members.map((m) => tf.sigmoid(this.logits(m, x)));
      return Float32Array.from(tf.addN(probs).div(members.length).dataSync());
    });
  }

  parameterCount(): number {
    return countParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
