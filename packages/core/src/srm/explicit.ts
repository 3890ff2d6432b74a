/**
 * Explicit branch (paper Sec. 3.3): three conv layers (1x1, 3x3, 1x1) aggregate [s_c, s_t], one
 * self-attention layer relates all positions, two conv layers (1x1) decode y_r. For concrete concepts named by text (shadow, VOC
 * classes, a user's concept), s_c = E_I(x) * M_c carries the vision-language prior.
 */
import * as tf from "@tensorflow/tfjs";
import { addConv, addDense, conv, conv3, dense, type ParamMap } from "../nn/layers.ts";
import type { Random } from "../util/random.ts";

export function buildExplicit(params: ParamMap, inputChannels: number, hidden: number, rng: Random): void {
  addConv(params, "srm/agg1", 1, inputChannels, hidden, rng);
  addConv(params, "srm/agg2", 3, hidden, hidden, rng);
  addConv(params, "srm/agg3", 1, hidden, hidden, rng);
  addDense(params, "srm/attn_q", hidden, hidden, rng, 1);
  addDense(params, "srm/attn_k", hidden, hidden, rng, 1);
  addDense(params, "srm/attn_v", hidden, hidden, rng, 1);
  addDense(params, "srm/attn_o", hidden, hidden, rng, 0.1);
  addConv(params, "srm/dec1", 1, hidden, hidden, rng);
  addConv(params, "srm/dec2", 1, hidden, 1, rng, 1);
}

/** Single-head scaled dot-product self-attention over the R*R positions, with a residual. */
function selfAttention(params: ParamMap, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const flat = x.reshape([n * h * w, c]) as tf.Tensor2D;
  const q = dense(params, "srm/attn_q", flat).reshape([n, h * w, c]) as tf.Tensor3D;
  const k = dense(params, "srm/attn_k", flat).reshape([n, h * w, c]) as tf.Tensor3D;
  const v = dense(params, "srm/attn_v", flat).reshape([n, h * w, c]) as tf.Tensor3D;
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c)));
  const mixed = tf.matMul(att, v).reshape([n * h * w, c]) as tf.Tensor2D;
  return tf.add(x, dense(params, "srm/attn_o", mixed).reshape([n, h, w, c])) as tf.Tensor4D;
}

/** `input` is [s_c, M_c, s_t] stacked on channels. Returns logits [B, R, R, 1]. */
export function explicitLogits(params: ParamMap, input: tf.Tensor4D): tf.Tensor4D {
  let x = tf.relu(conv(params, "srm/agg1", input));
  x = tf.relu(conv3(params, "srm/agg2", x));
  x = tf.relu(conv(params, "srm/agg3", x));
  x = selfAttention(params, x);
  x = tf.relu(conv(params, "srm/dec1", x));
  return conv(params, "srm/dec2", x);
}
