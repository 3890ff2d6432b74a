/**
 * The "steps" result (steps.json): the answer after the initial prompts and after every click as
 * small binary mask PNGs, with the SRM map that labelled each step's clicks (and the last one) as
 * greyscale PNGs, inside one JSON document, so a viewer
 * can replay a trajectory with one request and upsample in the browser. Masks are read from the
 * segmenter's low-res logits, which is all the resolution each step has; the content region
 * (stretched or letterboxed frame) is recovered by matching the last step against the full-size
 * probability map the pipeline already computed with the right one. The document's shape is
 * StepsDocumentSchema (@alignsam/core/light, packages/core/src/jobs/segment-results.ts).
 */

import type { StepsDocument } from "@alignsam/core/light";
import {
  type BinaryMask,
  encodeMaskPng,
  encodeProbabilityPng,
  type ProbabilityMask,
} from "@alignsam/core/mask";
import type { SegmentOutcome, SegmentSteps } from "../engine.ts";

/** Longest side of a step mask, in pixels (the browser upsamples). */
export const MAX_STEP_MASK_SIDE = 256;

interface Region {
  readonly fx: number;
  readonly fy: number;
}

/** Nearest-sample the mask (logit > 0) over the content region into a width x height map. */
function sampleLowRes(
  logits: Float32Array,
  size: number,
  region: Region,
  width: number,
  height: number,
): BinaryMask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const ly = Math.min(size - 1, Math.floor(((y + 0.5) / height) * region.fy * size));
    for (let x = 0; x < width; x++) {
      const lx = Math.min(size - 1, Math.floor(((x + 0.5) / width) * region.fx * size));
      data[y * width + x] = logits[ly * size + lx] > 0 ? 1 : 0;
    }
  }
  return { width, height, data };
}

/**
 * Which frame the low-res logits use: the one under which the last step reproduces the final
 * probability map (computed by the pipeline with the region it found), checked on a lattice.
 */
export function recoverRegion(steps: SegmentSteps, probability: ProbabilityMask): Region {
  const { width, height } = probability;
  const long = Math.max(width, height);
  const letterbox = { fx: width / long, fy: height / long };
  const last = steps.logits.at(-1);
  if (width === height || !last) return { fx: 1, fy: 1 };
  const n = 32;
  const error = (region: Region) => {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const x = Math.floor(((i + 0.5) / n) * width);
        const y = Math.floor(((j + 0.5) / n) * height);
        const ly = Math.min(
          steps.lowResSize - 1,
          Math.floor(((y + 0.5) / height) * region.fy * steps.lowResSize),
        );
        const lx = Math.min(
          steps.lowResSize - 1,
          Math.floor(((x + 0.5) / width) * region.fx * steps.lowResSize),
        );
        const p = 1 / (1 + Math.exp(-last[ly * steps.lowResSize + lx]));
        sum += Math.abs(p - probability.data[y * width + x]);
      }
    }
    return sum;
  };
  return error(letterbox) < error({ fx: 1, fy: 1 }) ? letterbox : { fx: 1, fy: 1 };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * Render steps.json for an outcome that carries steps (throws if it does not: the handler asks the
 * engine for them whenever this output is wanted).
 */
export async function renderStepsDocument(outcome: SegmentOutcome): Promise<StepsDocument> {
  const steps = outcome.steps;
  if (!steps) throw new Error("the engine returned no per-step masks; segment with keepSteps");
  const { width, height } = outcome.probability;
  const region = recoverRegion(steps, outcome.probability);
  const side = Math.min(MAX_STEP_MASK_SIDE, steps.lowResSize, Math.max(width, height));
  const scale = side / Math.max(width, height);
  const mw = Math.max(1, Math.round(width * scale));
  const mh = Math.max(1, Math.round(height * scale));
  const { srmMap } = steps;
  const srmPng = async (data: Float32Array) => ({
    width: srmMap.width,
    height: srmMap.height,
    png: base64(await encodeProbabilityPng({ width: srmMap.width, height: srmMap.height, data })),
  });
  const rendered = await Promise.all(
    steps.logits.map(async (logits, step) => {
      const mask = sampleLowRes(logits, steps.lowResSize, region, mw, mh);
      const srm = steps.srmMaps?.[step];
      return {
        step,
        clicks: outcome.trajectory.filter((s) => s.step <= step).length,
        width: mw,
        height: mh,
        png: base64(await encodeMaskPng(mask)),
        ...(srm && srmMap.width > 0 ? { srm: await srmPng(srm) } : {}),
      };
    }),
  );
  const srm =
    srmMap.width > 0 && srmMap.height > 0
      ? {
          width: srmMap.width,
          height: srmMap.height,
          png: base64(await encodeProbabilityPng(srmMap)),
        }
      : null;
  return { v: 1, width, height, steps: rendered, srm };
}
