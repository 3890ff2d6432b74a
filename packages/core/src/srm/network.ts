/**
 * One dense SRM network (paper Sec. 3.3's K(V(.)), made dense): it reads the normalised embedding at
 * its full resolution (64 x 64 for the classic backend and SAM) and predicts y_r at that resolution.
 * The 10 x 10 map of the paper's reading cannot represent small or thin objects even when perfect
 * (issue 13: a perfect 10 x 10 map scores saliency 53 mIoU, a perfect 64 x 64 one 91).
 *
 *   E' (h x w x C) [explicit: E', E' * M_c, M_c]
 *     -> 1x1 reduce to H (full resolution, kept as a skip)
 *     -> halve -> 4 residual 3x3 blocks, dilations 1, 2, 4, 8 (h/2 x w/2: receptive field ~ the image)
 *     -> global-average context added back
 *     -> explicit only: self-attention over the h/4 x w/4 positions (the paper's relation of all
 *        positions, at a size a CPU trains in seconds), added back
 *     -> double, + skip, 1x1, 1x1 head -> logits h x w
 *
 * The sizing follows ../../../../../shared/design/SRM-HEADROOM.md (a 32-channel dilated head with
 * global context reached saliency 52-60 mIoU from the map alone). 3 x 3 convs run at half
 * resolution only: on 2 CPU cores (tfjs-wasm) a training step of 8 images took 250 ms with one more
 * 3 x 3 at 64 x 64 and 24 channels, about half of it in that layer; full-resolution detail comes from
 * the 1 x 1 skip.
 */
import * as tf from "@tensorflow/tfjs";
import {
  addConv,
  addDense,
  conv,
  conv3,
  dense,
  double,
  globalContext,
  halve,
  type ParamMap,
} from "../nn/layers.ts";
import type { Branch } from "../tasks/registry.ts";
import type { Random } from "../util/random.ts";

export interface SrmNetShape {
  readonly branch: Branch;
  /** Embedding channels C. */
  readonly embeddingChannels: number;
  /** Hidden width H. */
  readonly hidden: number;
}

const DILATIONS = [1, 2, 4, 8] as const;

function inputChannels(s: SrmNetShape): number {
  return s.branch === "explicit" ? 2 * s.embeddingChannels + 1 : s.embeddingChannels;
}

/** Registers one network's parameters under `prefix/...` (prefix: "srm/m0"). */
export function buildSrmNet(params: ParamMap, prefix: string, s: SrmNetShape, rng: Random): void {
  const h = s.hidden;
  addConv(params, `${prefix}/reduce`, 1, inputChannels(s), h, rng);
  for (const d of DILATIONS) addConv(params, `${prefix}/block${d}`, 3, h, h, rng, 1);
  addDense(params, `${prefix}/context`, h, h, rng);
  if (s.branch === "explicit") {
    for (const n of ["q", "k", "v"]) addDense(params, `${prefix}/attn_${n}`, h, h, rng, 1);
    addDense(params, `${prefix}/attn_o`, h, h, rng, 0.1);
  }
  addConv(params, `${prefix}/fuse`, 1, h, h, rng);
  addConv(params, `${prefix}/head`, 1, h, 1, rng, 1);
}

/** Single-head scaled dot-product self-attention over all positions; returns the residual update. */
function attention(params: ParamMap, prefix: string, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const flat = x.reshape([n * h * w, c]) as tf.Tensor2D;
  const proj = (name: string) =>
    dense(params, `${prefix}/${name}`, flat).reshape([n, h * w, c]) as tf.Tensor3D;
  const q = proj("attn_q");
  const k = proj("attn_k");
  const v = proj("attn_v");
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c)));
  const mixed = tf.matMul(att, v).reshape([n * h * w, c]) as tf.Tensor2D;
  return dense(params, `${prefix}/attn_o`, mixed).reshape([n, h, w, c]) as tf.Tensor4D;
}

/**
 * Logits [B, h, w, 1]. `features`: normalised embedding, NHWC; `prior`: M_c [B, h, w, 1] for the
 * explicit branch (s_c = E' * M_c is formed here, so callers keep one copy of E').
 */
export function srmLogits(
  params: ParamMap,
  prefix: string,
  s: SrmNetShape,
  features: tf.Tensor4D,
  prior?: tf.Tensor4D,
): tf.Tensor4D {
  let input = features;
  if (s.branch === "explicit") {
    if (!prior) throw new Error("the explicit SRM branch needs the prior map M_c");
    input = tf.concat([features, tf.mul(features, prior) as tf.Tensor4D, prior], 3);
  }
  const skip = tf.relu(conv(params, `${prefix}/reduce`, input));
  let x = halve(skip);
  for (const d of DILATIONS) x = tf.add(x, tf.relu(conv3(params, `${prefix}/block${d}`, x, d)));
  x = globalContext(params, `${prefix}/context`, x);
  if (s.branch === "explicit") x = tf.add(x, double(attention(params, prefix, halve(x))));
  const y = tf.relu(conv(params, `${prefix}/fuse`, tf.add(double(x), skip)));
  return conv(params, `${prefix}/head`, y);
}
