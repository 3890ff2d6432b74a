/**
 * Baselines that use the same frozen promptable segmenter as AlignSAM but no learned agent: one click
 * at the image centre, and a PerSAM-style click (Zhang et al. 2023: one positive point where the image
 * embedding is most similar to the mean foreground feature of the labelled examples). They separate
 * what the segmenter does with any sensible click from what the agent's learned clicks add.
 */
import type { ContentRegion, FeatureStats } from "../agent/state.ts";
import { computeFeatureStats, FULL_FRAME } from "../agent/state.ts";
import { AlignSamError } from "../errors.ts";
import type { RgbImage } from "../image/types.ts";
import type { BinaryMask } from "../mask/types.ts";
import type { DecodeResult, Embedding, Point, PointLabel, PromptableSegmenter } from "../models/ports.ts";
import type { EvaluationMethod } from "./evaluate.ts";
import { nextOracleClick } from "./oracle-click.ts";

/** The candidate the segmenter itself rates best (SAM's highest iou_prediction). */
export function bestCandidateMask(result: DecodeResult): BinaryMask {
  if (result.masks.length === 0)
    throw new AlignSamError("INVALID_ARGUMENT", "the segmenter returned no mask");
  let best = 0;
  for (let i = 1; i < result.masks.length; i++) if (result.scores[i] > result.scores[best]) best = i;
  return result.masks[best];
}

/** One positive click at the image centre: the simplest automatic prompt. */
export function centreClickMethod(segmenter: PromptableSegmenter, name = "centre click"): EvaluationMethod {
  return {
    name,
    description: "one positive click at the image centre, segmenter's best candidate",
    async predict(image) {
      const embedding = await segmenter.encode(image);
      const point: Point = { x: image.width / 2, y: image.height / 2 };
      return { mask: bestCandidateMask(await segmenter.decode(embedding, { points: [point], labels: [1] })) };
    },
  };
}

/**
 * Fraction of foreground pixels of `mask` in each cell of the embedding grid (h x w over the content
 * region), so a ground truth can weigh embedding features.
 */
export function maskToGrid(
  mask: BinaryMask,
  embedding: Embedding,
  region: ContentRegion = FULL_FRAME,
): Float32Array {
  const { width: gw, height: gh } = embedding;
  const cw = Math.max(1, Math.round(region.fx * gw));
  const ch = Math.max(1, Math.round(region.fy * gh));
  const sums = new Float32Array(gw * gh);
  const counts = new Float32Array(gw * gh);
  for (let y = 0; y < mask.height; y++) {
    const gy = Math.min(ch - 1, Math.floor((y * ch) / mask.height));
    for (let x = 0; x < mask.width; x++) {
      const gx = Math.min(cw - 1, Math.floor((x * cw) / mask.width));
      const cell = gy * gw + gx;
      sums[cell] += mask.data[y * mask.width + x] !== 0 ? 1 : 0;
      counts[cell]++;
    }
  }
  for (let i = 0; i < sums.length; i++) sums[i] = counts[i] > 0 ? sums[i] / counts[i] : 0;
  return sums;
}

/** PerSAM's learned state: the mean foreground feature, and the channel statistics it lives in. */
export interface PerSamTarget {
  readonly feature: Float32Array;
  readonly stats: FeatureStats;
}

/** Feature vector of cell `i`, standardised with `stats`. */
function featureAt(embedding: Embedding, stats: FeatureStats, i: number, out: Float32Array): Float32Array {
  const hw = embedding.width * embedding.height;
  for (let c = 0; c < embedding.channels; c++) {
    out[c] = (embedding.data[c * hw + i] - stats.mean[c]) / stats.std[c];
  }
  return out;
}

/**
 * The mean foreground feature over labelled examples: each cell's (standardised) feature weighted by
 * its foreground fraction. Channels are standardised with statistics of the same embeddings first,
 * because cosine similarity on raw features is dominated by whichever channels have the largest mean.
 * @throws AlignSamError INVALID_ARGUMENT when no example has any foreground.
 */
export function perSamTarget(
  examples: readonly { embedding: Embedding; mask: BinaryMask }[],
  region: ContentRegion = FULL_FRAME,
): PerSamTarget {
  if (examples.length === 0)
    throw new AlignSamError("INVALID_ARGUMENT", "PerSAM needs at least one labelled example");
  const stats = computeFeatureStats(examples.map((e) => e.embedding));
  const channels = examples[0].embedding.channels;
  const feature = new Float32Array(channels);
  const cell = new Float32Array(channels);
  let weight = 0;
  for (const { embedding, mask } of examples) {
    const grid = maskToGrid(mask, embedding, region);
    for (let i = 0; i < grid.length; i++) {
      if (grid[i] === 0) continue;
      featureAt(embedding, stats, i, cell);
      for (let c = 0; c < channels; c++) feature[c] += grid[i] * cell[c];
      weight += grid[i];
    }
  }
  if (weight === 0) throw new AlignSamError("INVALID_ARGUMENT", "PerSAM's examples have no foreground pixel");
  for (let c = 0; c < channels; c++) feature[c] /= weight;
  return { feature, stats };
}

/**
 * The click PerSAM would place: the centre (in image pixels) of the embedding cell whose standardised
 * feature has the highest cosine similarity with the target.
 */
export function perSamClick(
  embedding: Embedding,
  target: PerSamTarget,
  region: ContentRegion = FULL_FRAME,
): Point {
  const cw = Math.max(1, Math.round(region.fx * embedding.width));
  const ch = Math.max(1, Math.round(region.fy * embedding.height));
  let targetNorm = 0;
  for (const v of target.feature) targetNorm += v * v;
  targetNorm = Math.sqrt(targetNorm) || 1;
  const cell = new Float32Array(embedding.channels);
  let best = Number.NEGATIVE_INFINITY;
  let bestX = 0;
  let bestY = 0;
  for (let gy = 0; gy < ch; gy++) {
    for (let gx = 0; gx < cw; gx++) {
      featureAt(embedding, target.stats, gy * embedding.width + gx, cell);
      let dot = 0;
      let norm = 0;
      for (let c = 0; c < cell.length; c++) {
        dot += cell[c] * target.feature[c];
        norm += cell[c] * cell[c];
      }
      const cosine = dot / (targetNorm * (Math.sqrt(norm) || 1));
      if (cosine > best) {
        best = cosine;
        bestX = gx;
        bestY = gy;
      }
    }
  }
  return {
    x: ((bestX + 0.5) * embedding.imageWidth) / cw,
    y: ((bestY + 0.5) * embedding.imageHeight) / ch,
  };
}

/**
 * Builds the PerSAM-style method from training pairs: encodes each (one at a time, so memory holds
 * one image) to learn the target feature, then clicks once per test image.
 */
export async function perSamMethod(
  segmenter: PromptableSegmenter,
  training:
    | AsyncIterable<{ image: RgbImage; mask: BinaryMask }>
    | Iterable<{ image: RgbImage; mask: BinaryMask }>,
  options: { region?: ContentRegion; name?: string } = {},
): Promise<EvaluationMethod> {
  const region = options.region ?? FULL_FRAME;
  const examples: { embedding: Embedding; mask: BinaryMask }[] = [];
  for await (const { image, mask } of training) {
    const embedding = await segmenter.encode(image);
    // Keep the embedding and the mask, not the image: the embedding is what the target is built from.
    examples.push({ embedding: { ...embedding, backendState: undefined }, mask });
  }
  const target = perSamTarget(examples, region);
  return {
    name: options.name ?? "PerSAM-style click",
    description:
      "one positive click where the embedding is most similar (cosine) to the mean training foreground feature",
    async predict(image) {
      const embedding = await segmenter.encode(image);
      const point = perSamClick(embedding, target, region);
      return { mask: bestCandidateMask(await segmenter.decode(embedding, { points: [point], labels: [1] })) };
    },
  };
}

/**
 * The standard interactive-segmentation oracle (oracle-click.ts) driving the same segmenter for
 * `clicks` clicks: an upper bound on what any automatic prompting of this backend can reach, the
 * denominator of the report's auto / oracle ratio. It reads the ground truth, so it is a reference,
 * not a method.
 */
export function oracleClicksMethod(
  segmenter: PromptableSegmenter,
  clicks: number,
  name = `oracle clicks (${clicks})`,
): EvaluationMethod {
  return {
    name,
    description: `${clicks} oracle clicks (centre of the larger error region), segmenter's best candidate`,
    usesGroundTruth: true,
    async predict(image, sample) {
      if (!sample.truth) throw new AlignSamError("INVALID_ARGUMENT", "oracle clicks need the ground truth");
      const truth: BinaryMask = {
        width: sample.truth.width,
        height: sample.truth.height,
        data: sample.truth.data.map((v) => (v === 1 ? 1 : 0)),
      };
      const embedding = await segmenter.encode(image);
      const points: Point[] = [];
      const labels: PointLabel[] = [];
      let mask: BinaryMask = {
        width: truth.width,
        height: truth.height,
        data: new Uint8Array(truth.data.length),
      };
      for (let k = 0; k < clicks; k++) {
        const click = nextOracleClick(mask, truth);
        if (!click) break;
        points.push(click.point);
        labels.push(click.label);
        mask = bestCandidateMask(await segmenter.decode(embedding, { points, labels }));
      }
      return { mask };
    },
  };
}
