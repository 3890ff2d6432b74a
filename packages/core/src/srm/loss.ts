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
 * Ground truth as foreground area fractions over a frame of `height` x `width` cells (the paper's
 * y'), the image occupying the frame's top-left `region` (a letterbox; all of it for a stretch);
 * cells outside it are background.
 */
export function maskToFrame(
  mask: { width: number; height: number; data: Uint8Array },
  height: number,
  width: number,
  region: { fx: number; fy: number } = { fx: 1, fy: 1 },
): Float32Array {
  const out = new Float32Array(height * width);
  const { width: w, height: h, data } = mask;
  const ch = Math.max(1, Math.round(region.fy * height));
  const cw = Math.max(1, Math.round(region.fx * width));
  for (let oy = 0; oy < ch; oy++) {
    const y0 = Math.floor((oy * h) / ch);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * h) / ch));
    for (let ox = 0; ox < cw; ox++) {
      const x0 = Math.floor((ox * w) / cw);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * w) / cw));
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += data[y * w + x] === 1 ? 1 : 0;
      out[oy * width + ox] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}
