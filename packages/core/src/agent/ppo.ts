/**
 * PPO (paper Sec. 3.2, Eqs. 6-10, Algorithm 1). The arithmetic lives in small pure functions
 * (returns, advantages, the clipped surrogate) that tests check by hand; `ppoUpdate` applies them
 * with TensorFlow.js for K epochs over one rollout.
 */
import * as tf from "@tensorflow/tfjs";
import type { ActorCritic } from "./policy-net.ts";

export interface PpoHyperparameters {
  /** Discount g (paper 0.99). */
  readonly gamma: number;
  /** Clip eps (paper 0.2). */
  readonly clip: number;
  /** Epochs K per rollout (paper 20). */
  readonly epochs: number;
  /** Entropy bonus weight (paper: none; small values keep early exploration). */
  readonly entropy: number;
  /** Standardise advantages per rollout (common PPO practice; the paper is silent). */
  readonly normalizeAdvantages: boolean;
  /** Weight of the critic loss (Q - V)^2 in the joint loss (default 0.5). */
  readonly valueCoef?: number;
}

/**
 * Q_t = r_t + g r_{t+1} + ... + g^{T-t} r_T + g^{T-t+1} V(s_{T+1}): discounted rewards to the end of
 * the episode, bootstrapped with the critic's value of the state reached after the last click (the
 * s_T of Algorithm 1, line 9, which is computed after a_T).
 *
 * @example bootstrappedReturns([1, -1], 0.5, 0.9) // [1 - 0.9 + 0.81 * 0.5, -1 + 0.9 * 0.5]
 */
export function bootstrappedReturns(
  rewards: readonly number[],
  bootstrapValue: number,
  gamma: number,
): number[] {
  const out = new Array<number>(rewards.length);
  let q = bootstrapValue;
  for (let t = rewards.length - 1; t >= 0; t--) {
    q = rewards[t] + gamma * q;
    out[t] = q;
  }
  return out;
}

/** A_t = Q_t - V(s_t) (Eq. 7). */
export function advantages(returns: readonly number[], values: readonly number[]): number[] {
  return returns.map((q, t) => q - values[t]);
}

/** Zero-mean, unit-variance advantages (left as is when all are equal). */
export function standardize(xs: readonly number[]): number[] {
  const n = xs.length;
  if (n < 2) return [...xs];
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return std < 1e-8 ? xs.map((x) => x - mean) : xs.map((x) => (x - mean) / std);
}

/** min(rho A, clip(rho, 1 - eps, 1 + eps) A) (Eq. 9), the per-sample objective PPO maximises. */
export function clippedSurrogate(ratio: number, advantage: number, eps: number): number {
  const clipped = Math.min(Math.max(ratio, 1 - eps), 1 + eps);
  return Math.min(ratio * advantage, clipped * advantage);
}

/** One stored step of a rollout. */
export interface Transition {
  readonly state: Float32Array;
  readonly available: Uint8Array;
  readonly action: number;
  readonly reward: number;
  readonly logProb: number;
  readonly value: number;
}

export interface PpoStats {
  readonly actorLoss: number;
  readonly criticLoss: number;
  readonly entropy: number;
  readonly meanReturn: number;
}

/** Adam over the actor-critic's parameters (paper lr 1e-4). */
export function createPpoOptimizer(lr: number): tf.Optimizer {
  return tf.train.adam(lr);
}

/**
 * K epochs of full-batch PPO on one or more episodes' transitions, minimising
 * -surrogate + valueCoef (Q - V)^2 - entropy H(pi) over the shared actor-critic. `bootstrap[i]` is V(s_{T+1}) of
 * episode i; `episodes` lists each episode's transitions in order.
 */
export function ppoUpdate(
  net: ActorCritic,
  optimizer: tf.Optimizer,
  episodes: readonly { transitions: readonly Transition[]; bootstrap: number }[],
  hp: PpoHyperparameters,
): PpoStats {
  const all: Transition[] = [];
  const returns: number[] = [];
  const adv: number[] = [];
  for (const ep of episodes) {
    const q = bootstrappedReturns(
      ep.transitions.map((t) => t.reward),
      ep.bootstrap,
      hp.gamma,
    );
    all.push(...ep.transitions);
    returns.push(...q);
    adv.push(
      ...advantages(
        q,
        ep.transitions.map((t) => t.value),
      ),
    );
  }
  const n = all.length;
  if (n === 0) return { actorLoss: 0, criticLoss: 0, entropy: 0, meanReturn: 0 };
  const a = hp.normalizeAdvantages ? standardize(adv) : adv;
  const { stateSize: r, inputChannels: c } = net.shape;
  const nA = net.actionCount;
  const states = new Float32Array(n * r * r * c);
  const avail = new Float32Array(n * nA);
  all.forEach((t, i) => {
    states.set(t.state, i * r * r * c);
    for (let k = 0; k < nA; k++) avail[i * nA + k] = t.available[k];
  });
  const sT = tf.tensor4d(states, [n, r, r, c]);
  const availT = tf.tensor2d(avail, [n, nA]);
  const actionsOneHot = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Int32Array.from(all, (t) => t.action),
        "int32",
      ),
      nA,
    ),
  );
  const oldLogP = tf.tensor1d(all.map((t) => t.logProb));
  const advT = tf.tensor1d(a);
  const retT = tf.tensor1d(returns);
  // Input-only terms of the forward pass (masks, cue cells): derived once, not once per epoch.
  const terms = net.inputTerms(sT, availT);
  let actorLoss = 0;
  let criticLoss = 0;
  let entropy = 0;
  const vars = [...net.params.values()];
  const vc = hp.valueCoef ?? 0.5;
  for (let k = 0; k < hp.epochs; k++) {
    const last = k === hp.epochs - 1;
    const cost = optimizer.minimize(
      () => {
        const { logits, values } = net.forward(sT, availT, terms);
        const logp = tf.logSoftmax(logits);
        const logpA = tf.sum(tf.mul(logp, actionsOneHot), 1);
        const ratio = tf.exp(tf.sub(logpA, oldLogP));
        const surr = tf.minimum(
          tf.mul(ratio, advT),
          tf.mul(tf.clipByValue(ratio, 1 - hp.clip, 1 + hp.clip), advT),
        );
        const aLoss = tf.neg(surr.mean());
        const ent = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)).mean();
        const cLoss = tf.square(tf.sub(retT, values)).mean();
        if (last) {
          actorLoss = aLoss.dataSync()[0];
          criticLoss = cLoss.dataSync()[0];
          entropy = ent.dataSync()[0];
        }
        return tf.add(aLoss, tf.sub(tf.mul(vc, cLoss), tf.mul(hp.entropy, ent))) as tf.Scalar;
      },
      false,
      vars,
    );
    cost?.dispose();
  }
  tf.dispose([sT, availT, actionsOneHot, oldLogP, advT, retT, terms.free, terms.masked]);
  if (terms.cueCells) terms.cueCells.dispose();
  return { actorLoss, criticLoss, entropy, meanReturn: returns.reduce((x, y) => x + y, 0) / n };
}
