/**
 * Implicit branch (paper Sec. 3.3): two conv blocks over the spatial state s_t only, for abstract
 * concepts (blur, glass, saliency) where text gives no usable prior. Returns logits [B, R, R, 1].
 */
import * as tf from "@tensorflow/tfjs";
import { addConv, addDense, conv, conv3, globalContext, type ParamMap } from "../nn/layers.ts";
import type { Random } from "../util/random.ts";

export function buildImplicit(params: ParamMap, inputChannels: number, hidden: number, rng: Random): void {
  addConv(params, "srm/reduce", 1, inputChannels, hidden, rng);
  addConv(params, "srm/block1", 3, hidden, hidden, rng);
  addConv(params, "srm/block2", 3, hidden, hidden, rng);
  addDense(params, "srm/context", hidden, hidden, rng);
  addConv(params, "srm/head", 1, hidden, 1, rng, 1);
}

export function implicitLogits(params: ParamMap, spatial: tf.Tensor4D): tf.Tensor4D {
  let x = tf.relu(conv(params, "srm/reduce", spatial));
  x = tf.relu(conv3(params, "srm/block1", x));
  x = tf.relu(conv3(params, "srm/block2", x));
  x = globalContext(params, "srm/context", x);
  return conv(params, "srm/head", x);
}
