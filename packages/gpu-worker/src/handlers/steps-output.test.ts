import { StepsDocumentSchema } from "@alignsam/core/light";
import type { ProbabilityMask } from "@alignsam/core/mask";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { SegmentOutcome } from "../engine.ts";
import { recoverRegion, renderStepsDocument } from "./steps-output.ts";

const LOW = 16;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Low-res logits that are positive where `inside(u, v)` holds, u/v in [0, 1) over the low-res frame. */
function logitsWhere(inside: (u: number, v: number) => boolean): Float32Array {
  const out = new Float32Array(LOW * LOW);
  for (let y = 0; y < LOW; y++)
    for (let x = 0; x < LOW; x++) out[y * LOW + x] = inside((x + 0.5) / LOW, (y + 0.5) / LOW) ? 6 : -6;
  return out;
}

/** The full-size probability the pipeline would give under a region (nearest sampling). */
function fullSize(logits: Float32Array, fx: number, fy: number, width: number, height: number) {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const ly = Math.min(LOW - 1, Math.floor(((y + 0.5) / height) * fy * LOW));
      const lx = Math.min(LOW - 1, Math.floor(((x + 0.5) / width) * fx * LOW));
      data[y * width + x] = sigmoid(logits[ly * LOW + lx]);
    }
  return { width, height, data } satisfies ProbabilityMask;
}

function outcome(
  logits: Float32Array[],
  probability: ProbabilityMask,
  srm = 4,
  srmMaps?: Float32Array[],
): SegmentOutcome {
  return {
    mask: {
      width: probability.width,
      height: probability.height,
      data: new Uint8Array(probability.data.length),
    },
    probability,
    trajectory: [
      { step: 0, x: 1, y: 1, label: 1 },
      { step: 0, x: 2, y: 2, label: 0 },
      { step: 1, x: 3, y: 3, label: 1 },
    ],
    modelId: "test",
    policyVersion: null,
    method: "test",
    steps: {
      lowResSize: LOW,
      logits,
      srmMap: { width: srm, height: srm, data: new Float32Array(srm * srm).map((_, i) => i / (srm * srm)) },
      ...(srmMaps ? { srmMaps } : {}),
    },
  };
}

async function grey(png: string) {
  const { data, info } = await sharp(Buffer.from(png, "base64"))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe("steps.json", () => {
  it("maps letterboxed low-res masks onto the image, one per step, counting clicks", async () => {
    // A 40x20 image letterboxed into the top half of the square frame; the object is its left half.
    const first = logitsWhere((u) => u < 0.25);
    const last = logitsWhere((u, v) => u < 0.5 && v < 0.5);
    const doc = StepsDocumentSchema.parse(
      await renderStepsDocument(outcome([first, last], fullSize(last, 1, 0.5, 40, 20))),
    );
    expect([doc.width, doc.height]).toEqual([40, 20]);
    expect(doc.steps.map((s) => [s.step, s.clicks])).toEqual([
      [0, 2],
      [1, 3],
    ]);
    const m = await grey(doc.steps[1].png);
    expect([m.width, m.height]).toEqual([16, 8]);
    // Left half foreground over the full height: the frame's lower, padded half is not shown.
    for (let y = 0; y < m.height; y++) {
      expect(m.data[y * m.width + 2]).toBeGreaterThan(240);
      expect(m.data[y * m.width + 13]).toBeLessThan(15);
    }
    const m0 = await grey(doc.steps[0].png);
    expect(m0.data[4]).toBeLessThan(15); // x = 4 of 16 lies right of u = 0.25 of the content
    expect(doc.srm).toMatchObject({ width: 4, height: 4 });
  });

  it("attaches to each step the SRM map that labelled its clicks", async () => {
    const last = logitsWhere((u) => u < 0.5);
    const maps = [new Float32Array(16).fill(0), new Float32Array(16).fill(1)];
    const doc = StepsDocumentSchema.parse(
      await renderStepsDocument(outcome([last, last], fullSize(last, 1, 1, 8, 8), 4, maps)),
    );
    const [s0, s1] = [await grey(doc.steps[0].srm!.png), await grey(doc.steps[1].srm!.png)];
    expect([s0.width, s0.height]).toEqual([4, 4]);
    expect(Math.max(...s0.data)).toBe(0);
    expect(Math.min(...s1.data)).toBe(255);
  });

  it("keeps the full frame when the backend stretches", () => {
    const last = logitsWhere((u, v) => u < 0.5 && v < 0.5);
    const region = recoverRegion(
      outcome([last], fullSize(last, 1, 1, 40, 20)).steps!,
      fullSize(last, 1, 1, 40, 20),
    );
    expect(region).toEqual({ fx: 1, fy: 1 });
  });

  it("writes srm null on a path without the SRM", async () => {
    const last = logitsWhere((u) => u < 0.5);
    const doc = await renderStepsDocument(outcome([last], fullSize(last, 1, 1, 8, 8), 0));
    expect(doc.srm).toBeNull();
    expect(doc.steps).toHaveLength(1);
  });

  it("refuses an outcome without steps", async () => {
    const o = outcome(
      [],
      fullSize(
        logitsWhere(() => true),
        1,
        1,
        4,
        4,
      ),
    );
    await expect(renderStepsDocument({ ...o, steps: undefined })).rejects.toThrow(/keepSteps/);
  });
});
