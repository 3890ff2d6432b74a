/**
 * The semantic recalibration module (paper Sec. 3.3, Eq. 12): y_r = K(V(s_c, s_t)), a per-position
 * foreground probability at the state resolution R. It labels each click (y_r at the clicked cell
 * > 0.5) and, at inference, supplies P_0 (argmax / argmin of y_r). A semantic switch picks the
 * implicit or the explicit branch from the task.
 */
import * as tf from "@tensorflow/tfjs";
import { countParams, disposeParams, type ParamMap } from "../nn/layers.ts";
import { createRandom } from "../util/random.ts";
import type { ImageFeatures } from "../agent/state.ts";
import type { Branch } from "../tasks/registry.ts";
import { buildExplicit, explicitLogits } from "./explicit.ts";
import { buildImplicit, implicitLogits } from "./implicit.ts";
import { segmentationLoss } from "./loss.ts";

export interface SrmShape {
  readonly branch: Branch;
  /** Embedding channels C (the state has 2C + 1). */
  readonly embeddingChannels: number;
  /** State resolution R. */
  readonly stateSize: number;
  /** Grid side S/P; R must be a multiple. */
  readonly gridSide: number;
  readonly hidden: number;
}

/** Channels of the semantic input: s_c = pool(E') * M_c (C) and M_c itself (1). */
export function semanticChannels(embeddingChannels: number): number {
  return embeddingChannels + 1;
}

/** Builds the semantic input [s_c, M_c] at R x R (HWC) from the pooled embedding and M_c. */
export function semanticInput(features: ImageFeatures, similarity: Float32Array): Float32Array {
  const { channels: c, size: r, pooled } = features;
  const k = c + 1;
  const out = new Float32Array(r * r * k);
  for (let p = 0; p < r * r; p++) {
    const m = similarity[p];
    for (let ch = 0; ch < c; ch++) out[p * k + ch] = pooled[p * c + ch] * m;
    out[p * k + c] = m;
  }
  return out;
}

export class Srm {
  readonly shape: SrmShape;
  readonly params: ParamMap = new Map();
  private optimizer: tf.Optimizer | undefined;

  constructor(shape: SrmShape, seed: number) {
    this.shape = shape;
    const rng = createRandom(seed);
    const spatial = 2 * shape.embeddingChannels + 1;
    if (shape.branch === "implicit") buildImplicit(this.params, spatial, shape.hidden, rng);
    else buildExplicit(this.params, spatial + semanticChannels(shape.embeddingChannels), shape.hidden, rng);
  }

  private inputChannels(): number {
    const spatial = 2 * this.shape.embeddingChannels + 1;
    return this.shape.branch === "implicit"
      ? spatial
      : spatial + semanticChannels(this.shape.embeddingChannels);
  }

  /** Stacks the branch's inputs for states of one image into one NHWC tensor. */
  private input(states: readonly Float32Array[], semantic: Float32Array | undefined): tf.Tensor4D {
    const r = this.shape.stateSize;
    const n = states.length;
    const spatialC = 2 * this.shape.embeddingChannels + 1;
    const k = this.inputChannels();
    if (this.shape.branch === "explicit" && !semantic)
      throw new Error("the explicit SRM branch needs the semantic state s_c");
    const semC = k - spatialC;
    const data = new Float32Array(n * r * r * k);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < r * r; p++) {
        const o = (i * r * r + p) * k;
        if (semantic) data.set(semantic.subarray(p * semC, (p + 1) * semC), o);
        data.set(states[i].subarray(p * spatialC, (p + 1) * spatialC), o + semC);
      }
    }
    return tf.tensor4d(data, [n, r, r, k]);
  }

  private logits(x: tf.Tensor4D): tf.Tensor4D {
    return this.shape.branch === "implicit" ? implicitLogits(this.params, x) : explicitLogits(this.params, x);
  }

  /** y_r at R x R, row-major, in [0, 1]. */
  predict(state: Float32Array, semantic?: Float32Array): Float32Array {
    return tf.tidy(() =>
      Float32Array.from(tf.sigmoid(this.logits(this.input([state], semantic))).dataSync()),
    );
  }

  /**
   * q Adam iterations of Dice + BCE on states of one image (paper: q = 1 implicit, 5 explicit, after
   * every action, i.e. on one state). Returns the last loss.
   */
  train(
    states: readonly Float32Array[],
    semantic: Float32Array | undefined,
    target: Float32Array,
    iterations: number,
    lr: number,
  ): number {
    this.optimizer ??= tf.train.adam(lr);
    const r = this.shape.stateSize;
    const x = this.input(states, semantic);
    const y = tf.tidy(() => tf.tile(tf.tensor4d(target, [1, r, r, 1]), [states.length, 1, 1, 1]));
    let loss = 0;
    const vars = [...this.params.values()];
    for (let i = 0; i < iterations; i++) {
      const cost = this.optimizer.minimize(
        () => segmentationLoss(this.logits(x), y),
        i === iterations - 1,
        vars,
      );
      if (cost) {
        loss = cost.dataSync()[0];
        cost.dispose();
      }
    }
    tf.dispose([x, y]);
    return loss;
  }

  /** Mean y_r over each grid cell's block of the R x R map (the score a click's label comes from). */
  cellScores(yr: Float32Array): Float32Array {
    const { stateSize: r, gridSide: g } = this.shape;
    const f = r / g;
    const out = new Float32Array(g * g);
    for (let y = 0; y < r; y++) {
      for (let x = 0; x < r; x++) out[Math.floor(y / f) * g + Math.floor(x / f)] += yr[y * r + x] / (f * f);
    }
    return out;
  }

  parameterCount(): number {
    return countParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
    this.optimizer?.dispose();
  }
}
