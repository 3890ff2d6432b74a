/**
 * The SRM's training objective (paper Eq. 13): Dice loss plus binary cross-entropy between y_r and
 * the ground truth downsampled to y_r's size. Soft targets (area fractions) are allowed.
 */
import * as tf from "@tensorflow/tfjs";

const EPS = 1e-6;

/** 1 - (2 sum(p y) + eps) / (sum p + sum y + eps), averaged over the batch (first axis). */
export function diceLoss(probs: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = probs.shape[0] ?? 1;
    const p = probs.reshape([n, -1]);
    const y = target.reshape([n, -1]);
    const inter = tf.sum(tf.mul(p, y), 1);
    const denom = tf.add(tf.sum(p, 1), tf.sum(y, 1));
    return tf.sub(1, tf.div(tf.add(tf.mul(2, inter), EPS), tf.add(denom, EPS))).mean() as tf.Scalar;
  });
}

/** Mean binary cross-entropy computed from logits (numerically stable form). */
export function bceWithLogits(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    // max(z, 0) - z y + log(1 + exp(-|z|))
    const z = logits;
    const loss = tf.add(tf.sub(tf.relu(z), tf.mul(z, target)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return loss.mean() as tf.Scalar;
  });
}

/** L_seg = L_dice(sigmoid(z), y') + L_bce(z, y'). */
export function segmentationLoss(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(
    () => tf.add(diceLoss(tf.sigmoid(logits), target), bceWithLogits(logits, target)) as tf.Scalar,
  );
}

/**
 * Ground truth downsampled to an R x R map of foreground area fractions (the paper's y'), computed
 * over the same stretch of the image that the action grid uses.
 */
export function downsampleMask(
  mask: { width: number; height: number; data: Uint8Array },
  size: number,
): Float32Array {
  const out = new Float32Array(size * size);
  const { width: w, height: h, data } = mask;
  for (let oy = 0; oy < size; oy++) {
    const y0 = Math.floor((oy * h) / size);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * h) / size));
    for (let ox = 0; ox < size; ox++) {
      const x0 = Math.floor((ox * w) / size);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * w) / size));
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += data[y * w + x] === 1 ? 1 : 0;
      out[oy * size + ox] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}
