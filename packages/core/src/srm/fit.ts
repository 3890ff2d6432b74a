/**
 * Supervised SRM training with k-fold cross-fitting (issue 13). Image i belongs to fold i mod k;
 * member f trains on every other fold's images (originals and augmented copies) and stops early on
 * fold f's originals, which it never trained on. Its predictions for fold f are therefore honest:
 * the agent learns from these out-of-fold maps when to trust the SRM, instead of learning to trust
 * maps fitted to the very ground truth it is rewarded on. The deployed SRM is the mean of the k
 * members.
 *
 * The paper trains the SRM alongside the agent, q Adam steps per action on the current state. Here
 * y_r depends on the image only (not on the mask), so it is trained before the agent, on whole
 * images with augmentation and early stopping; see docs/DEVIATIONS.md.
 */
import * as tf from "@tensorflow/tfjs";
import { createRandom } from "../util/random.ts";
import { segmentationLoss } from "./loss.ts";
import type { Srm, SrmInput } from "./srm.ts";

/** One training example: the SRM's input and the ground truth over the same frame (h x w fractions). */
export interface SrmExample extends SrmInput {
  readonly target: Float32Array;
}

/**
 * All examples of one training image: its original first, then its augmented copies. An epoch
 * visits every image twice: its original and one of its copies (drawn anew each epoch), so copies
 * add variety without multiplying an epoch's cost.
 */
export interface SrmImage {
  readonly id: string;
  readonly examples: readonly SrmExample[];
}

export interface SrmFitOptions {
  /** Upper bound on passes over the training examples per member. */
  readonly maxEpochs: number;
  /** Stop after this many epochs without a better validation IoU. */
  readonly patience: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly onEpoch?: (p: SrmFitProgress) => void;
}

export interface SrmFitProgress {
  readonly member: number;
  readonly members: number;
  readonly epoch: number;
  readonly loss: number;
  readonly valIou: number;
}

export interface SrmMemberReport {
  /** Epoch whose weights were kept (best validation IoU). */
  readonly bestEpoch: number;
  readonly epochsRun: number;
  /** Mean IoU of the thresholded map on the member's held-out images at the kept epoch. */
  readonly valIou: number;
  readonly trainExamples: number;
  readonly valImages: number;
}

export interface SrmFitResult {
  /** Per training image (same order), y_r from the member that did not train on it. */
  readonly outOfFold: Float32Array[];
  readonly members: SrmMemberReport[];
  /** Mean over images of the out-of-fold map's IoU with the ground truth (at 0.5, over the frame). */
  readonly outOfFoldIou: number;
}

/** IoU of two maps thresholded at 0.5 (1 when both are empty). */
export function mapIou(pred: Float32Array, target: Float32Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < pred.length; i++) {
    const a = pred[i] >= 0.5;
    const b = target[i] >= 0.5;
    if (a && b) inter++;
    if (a || b) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Fold of image i among k. */
export function foldOf(i: number, k: number): number {
  return i % k;
}

/**
 * Trains every member of `srm` (srm.shape.members folds; 1 member trains on all images and validates
 * on them too, so its maps are not honest) and returns the out-of-fold maps.
 */
export function fitSrm(srm: Srm, images: readonly SrmImage[], o: SrmFitOptions): SrmFitResult {
  const k = srm.shape.members;
  const rng = createRandom(o.seed);
  const outOfFold: Float32Array[] = new Array(images.length);
  const members: SrmMemberReport[] = [];
  for (let f = 0; f < k; f++) {
    const held = k > 1 ? images.filter((_, i) => foldOf(i, k) === f) : images;
    const train = k > 1 ? images.filter((_, i) => foldOf(i, k) !== f) : images;
    const report = fitMember(srm, f, train, held, o, rng.fork());
    members.push(report);
    images.forEach((im, i) => {
      if (k === 1 || foldOf(i, k) === f) outOfFold[i] = srm.predict(im.examples[0], f);
    });
  }
  const ious = images.map((im, i) => mapIou(outOfFold[i], im.examples[0].target));
  return { outOfFold, members, outOfFoldIou: ious.reduce((a, b) => a + b, 0) / Math.max(1, ious.length) };
}

function fitMember(
  srm: Srm,
  member: number,
  train: readonly SrmImage[],
  held: readonly SrmImage[],
  o: SrmFitOptions,
  rng: ReturnType<typeof createRandom>,
): SrmMemberReport {
  const vars = srm.memberParams(member);
  const optimizer = tf.train.adam(o.lr);
  const { height: h, width: w } = srm.shape;
  const valIou = () =>
    held.reduce((s, im) => s + mapIou(srm.predict(im.examples[0], member), im.examples[0].target), 0) /
    Math.max(1, held.length);
  let best = { iou: valIou(), epoch: 0, weights: vars.map((v) => tf.clone(v)) };
  let epoch = 0;
  try {
    while (epoch < o.maxEpochs && epoch - best.epoch < o.patience) {
      epoch++;
      const epochExamples = train.flatMap((im) =>
        im.examples.length > 1
          ? [im.examples[0], im.examples[1 + rng.int(im.examples.length - 1)]]
          : [im.examples[0]],
      );
      const order = rng.shuffle([...epochExamples.keys()]);
      let lossSum = 0;
      let batches = 0;
      for (let b = 0; b < order.length; b += o.batchSize) {
        const idx = order.slice(b, b + o.batchSize);
        const batch = idx.map((i) => epochExamples[i]);
        const x = srm.batch(batch);
        const target = new Float32Array(batch.length * h * w);
        for (const [i, e] of batch.entries()) target.set(e.target, i * h * w);
        const y = tf.tensor4d(target, [batch.length, h, w, 1]);
        const cost = optimizer.minimize(() => segmentationLoss(srm.logits(member, x), y), true, vars);
        tf.dispose([x.features, x.prior, y].filter((t) => t !== undefined));
        if (cost) {
          lossSum += cost.dataSync()[0];
          cost.dispose();
        }
        batches++;
      }
      const iou = valIou();
      if (iou > best.iou) {
        tf.dispose(best.weights);
        best = { iou, epoch, weights: vars.map((v) => tf.clone(v)) };
      }
      o.onEpoch?.({
        member,
        members: srm.shape.members,
        epoch,
        loss: lossSum / Math.max(1, batches),
        valIou: iou,
      });
    }
    vars.forEach((v, i) => {
      v.assign(best.weights[i]);
    });
  } finally {
    tf.dispose(best.weights);
    optimizer.dispose();
  }
  return {
    bestEpoch: best.epoch,
    epochsRun: epoch,
    valIou: best.iou,
    trainExamples: train.reduce((n, im) => n + im.examples.length, 0),
    valImages: held.length,
  };
}
