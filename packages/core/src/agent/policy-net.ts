/**
 * The PPO actor pi(a|s) and critic V(s) (paper Sec. 3.2): a small conv trunk over the R x R state
 * with two heads. The actor head pools to the S/P x S/P grid and emits one logit per cell; clicked
 * cells are masked to a large negative so they get zero probability. The critic head emits V(s).
 * One shared trunk and one optimiser (the common PPO layout) keep a training step to few ops.
 */
import * as tf from "@tensorflow/tfjs";
import {
  addConv,
  addDense,
  conv,
  conv3,
  countParams,
  dense,
  disposeParams,
  globalContext,
  type ParamMap,
  poolBy,
} from "../nn/layers.ts";
import { createRandom } from "../util/random.ts";

export interface ActorCriticShape {
  /** Channels of the state (2C + 1). */
  readonly inputChannels: number;
  /** State resolution R. */
  readonly stateSize: number;
  /** Grid side S/P; stateSize must be a multiple. */
  readonly gridSide: number;
  /** Width of the hidden layers. */
  readonly hidden: number;
  /**
   * The last two input channels are the SRM's y_r and the dense disagreement |y_r - M| (pooled), the
   * one before them the mask M (agentInput "state+srm"): the actor then also gets a learned linear
   * read-out of per-cell cues from them.
   */
  readonly seesSrm?: boolean;
  /**
   * Initial cue read-out: "rule" (weight 1 on the disagreement: "click where a click changes the
   * mask most") or "random" (zero read-out: the conv trunk alone, the paper's starting point).
   */
  readonly actorInit?: "rule" | "random";
}

/** Cues per cell the "state+srm" actor reads directly: y_r - M, dense |y_r - M| pooled, |y_r - 1/2|. */
const CUES = 3;
/**
 * Cues enter the read-out multiplied by this: Adam moves a weight by about lr per step whatever the
 * gradient's scale, so the gain lets the cue logits move 10x faster than the trunk's at lr 1e-4.
 */
const CUE_GAIN = 10;
/** Initial cue weights of the "rule" start: the dense disagreement only. */
const CUE_RULE = [0, 1, 0];

const MASKED_LOGIT = -1e9;

/**
 * Terms of forward that depend on its inputs only (see ActorCritic.inputTerms); dispose after use.
 * A type, not an interface: tf.tidy returns it, and only a type alias reads as a TensorContainer.
 */
export type InputTerms = {
  readonly free: tf.Tensor2D;
  readonly masked: tf.Tensor2D;
  readonly cueCells?: tf.Tensor4D;
};

export class ActorCritic {
  readonly shape: ActorCriticShape;
  /** All parameters: trunk/*, actor/*, critic/*. */
  readonly params: ParamMap = new Map();

  constructor(shape: ActorCriticShape, seed: number) {
    if (shape.stateSize % shape.gridSide !== 0) {
      throw new RangeError(
        `state size ${shape.stateSize} is not a multiple of the grid side ${shape.gridSide}`,
      );
    }
    this.shape = shape;
    const rng = createRandom(seed);
    const h = shape.hidden;
    addConv(this.params, "trunk/reduce", 1, shape.inputChannels, h, rng);
    addConv(this.params, "trunk/conv", 3, h, h, rng);
    addDense(this.params, "trunk/context", h, h, rng);
    // Small output gain: the initial policy is close to uniform, as PPO expects.
    addConv(this.params, "actor/logit", 1, h, 1, rng, 0.01);
    addDense(this.params, "critic/value", h, 1, rng, 1);
    if (shape.seesSrm) {
      // Starts at the rule "click where y_r and M disagree most" (|y_r - M|); PPO tunes it from there.
      addConv(this.params, "actor/cue", 1, CUES, 1, rng, 0);
      if ((shape.actorInit ?? "rule") === "rule")
        this.params.get("actor/cue/w")?.assign(tf.tensor2d(CUE_RULE, [CUES, 1]));
    }
  }

  get actionCount(): number {
    return this.shape.gridSide * this.shape.gridSide;
  }

  /**
   * What forward derives from its inputs alone (no parameter involved): the free-cell mask, the
   * masked-logit fill and, for a "state+srm" net, the pooled per-cell cues. PPO runs K epochs on the
   * same batch: it derives them once per update instead of once per epoch (same ops, same values).
   */
  inputTerms(states: tf.Tensor4D, available: tf.Tensor2D): InputTerms {
    return tf.tidy(() => this.terms(states, available));
  }

  /** inputTerms without a scope of its own (inside forward, its caller's scope disposes them). */
  private terms(states: tf.Tensor4D, available: tf.Tensor2D): InputTerms {
    return {
      free: tf.greater(available, 0.5) as tf.Tensor2D,
      masked: tf.fill(available.shape, MASKED_LOGIT) as tf.Tensor2D,
      ...(this.shape.seesSrm ? { cueCells: this.cueCells(states) } : {}),
    };
  }

  /** Masked logits [B, N] and values [B]; `available` is [B, N] of 1 (free) / 0 (clicked). */
  forward(
    states: tf.Tensor4D,
    available: tf.Tensor2D,
    terms?: InputTerms,
  ): { logits: tf.Tensor2D; values: tf.Tensor1D } {
    const p = this.params;
    const n = states.shape[0];
    const t = terms ?? this.terms(states, available);
    let x = tf.relu(conv(p, "trunk/reduce", states));
    x = tf.relu(conv3(p, "trunk/conv", x));
    x = globalContext(p, "trunk/context", x);
    const cells = poolBy(x, this.shape.stateSize / this.shape.gridSide);
    let raw = conv(p, "actor/logit", cells).reshape([n, this.actionCount]) as tf.Tensor2D;
    if (t.cueCells) {
      const cues = conv(this.params, "actor/cue", t.cueCells).reshape([n, this.actionCount]);
      raw = tf.add(raw, cues) as tf.Tensor2D;
    }
    const logits = tf.where(t.free, raw, t.masked) as tf.Tensor2D;
    const values = dense(p, "critic/value", x.mean([1, 2]) as tf.Tensor2D).reshape([n]) as tf.Tensor1D;
    return { logits, values };
  }

  /**
   * Where the SRM and the current mask disagree (and how sure the SRM is) is where a click labelled
   * by the SRM can change the mask; the conv trunk, fed 2C + 2 channels, was slow to find these two
   * channels on its own (saliency, 5 epochs: greedy policy 30.6 mIoU vs 34.3 for random clicks, vs
   * 44.6 for a fixed "largest |y_r - M|" rule), so the actor reads them directly: this pools the
   * cues per cell, the actor's "actor/cue" read-out weighs them.
   */
  private cueCells(states: tf.Tensor4D): tf.Tensor4D {
    const k = this.shape.inputChannels;
    const m = tf.slice(states, [0, 0, 0, k - 3], [-1, -1, -1, 1]);
    const y = tf.slice(states, [0, 0, 0, k - 2], [-1, -1, -1, 1]);
    const gap = tf.slice(states, [0, 0, 0, k - 1], [-1, -1, -1, 1]);
    const cues = tf.mul(tf.concat([tf.sub(y, m), gap, tf.abs(tf.sub(y, 0.5))], 3), CUE_GAIN) as tf.Tensor4D;
    return poolBy(cues, this.shape.stateSize / this.shape.gridSide);
  }

  /** Action probabilities and value of one state, as plain arrays (the rollout's hot path). */
  evaluate(state: Float32Array, available: Uint8Array): { probs: Float32Array; value: number } {
    const r = this.shape.stateSize;
    return tf.tidy(() => {
      const s = tf.tensor4d(state, [1, r, r, this.shape.inputChannels]);
      const a = tf.tensor2d(Float32Array.from(available), [1, this.actionCount]);
      const { logits, values } = this.forward(s, a);
      return { probs: Float32Array.from(tf.softmax(logits).dataSync()), value: values.dataSync()[0] };
    });
  }

  /** V(s) of one state (the bootstrap value of an episode's final state). */
  value(state: Float32Array): number {
    return this.evaluate(state, new Uint8Array(this.actionCount).fill(1)).value;
  }

  parameterCount(): number {
    return countParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
