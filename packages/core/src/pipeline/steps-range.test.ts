import { describe, expect, it } from "vitest";
import { stepsOption } from "../cli/options.ts";
import { isAlignSamError } from "../errors.ts";
import { SegmentMessageSchema, TrainJobOptionsSchema } from "../jobs/messages.ts";
import { defaultTaskRegistry } from "../tasks/registry.ts";
import { STEPS_RANGE } from "./defaults.ts";
import { segmentImage } from "./segment.ts";
import { createTestingSegmenter, generateSample } from "./testing-segmenter.ts";
import { trainPolicy } from "./train.ts";

/** Whether each entry that takes T accepts `steps`: job messages, retraining options, `--steps`. */
function accepted(steps: number) {
  const segment = SegmentMessageSchema.safeParse({
    v: 1,
    type: "segment",
    jobId: "j",
    task: "saliency",
    uploadId: "u",
    options: { steps },
  }).success;
  const train = TrainJobOptionsSchema.safeParse({ steps }).success;
  let cli = true;
  try {
    stepsOption(String(steps));
  } catch (e) {
    if (!isAlignSamError(e, "INVALID_ARGUMENT")) throw e;
    cli = false;
  }
  return { segment, train, cli };
}

describe("the range of steps T", () => {
  it("is one bound, 1..64, for segment messages, retraining options and --steps", () => {
    const all = (v: boolean) => ({ segment: v, train: v, cli: v });
    expect(accepted(STEPS_RANGE.min)).toEqual(all(true));
    expect(accepted(STEPS_RANGE.max)).toEqual(all(true));
    expect(accepted(STEPS_RANGE.min - 1)).toEqual(all(false));
    expect(accepted(STEPS_RANGE.max + 1)).toEqual(all(false));
    expect(() => stepsOption("65")).toThrow(/--steps must be an integer from 1 to 64, got "65"/);
  });

  it("bounds the pipeline too: segmentImage refuses T above 64, and runs T = 0 (the initial prompts alone)", async () => {
    const segmenter = createTestingSegmenter();
    const saliency = defaultTaskRegistry.get("saliency");
    const policy = await trainPolicy([generateSample(2)], saliency, {
      segmenter,
      steps: 2,
      epochs: 1,
      ppoEpochs: 1,
      srmMaxEpochs: 2,
      seed: 0,
    });
    try {
      const image = generateSample(3).image;
      // The policy's grid has 100 cells, so only STEPS_RANGE refuses 65 (before: anything up to 100).
      await expect(segmentImage(image, policy, { segmenter, steps: STEPS_RANGE.max + 1 })).rejects.toSatisfy(
        (e) =>
          isAlignSamError(e, "INVALID_ARGUMENT") && /steps must be an integer from 1 to 64/.test(e.message),
      );
      const initialOnly = await segmentImage(image, policy, { segmenter, steps: 0 });
      expect(initialOnly.trajectory.every((s) => s.step === 0)).toBe(true);
    } finally {
      policy.dispose();
    }
  });
});
