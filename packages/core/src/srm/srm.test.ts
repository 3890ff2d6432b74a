import { beforeAll, describe, expect, it } from "vitest";
import { initTf } from "../tf/backend.ts";
import { createRandom } from "../util/random.ts";
import { fitSrm, foldOf, mapIou, type SrmImage } from "./fit.ts";
import { Srm, toHwc } from "./srm.ts";

beforeAll(async () => {
  await initTf();
});

const H = 8;
const W = 8;
const C = 2;

/** An image whose first channel is bright exactly on a random square: the target is that square. */
function syntheticImage(seed: number): SrmImage {
  const rng = createRandom(seed);
  const x0 = rng.int(4);
  const y0 = rng.int(4);
  const target = new Float32Array(H * W);
  const chw = new Float32Array(C * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const on = x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4;
      target[y * W + x] = on ? 1 : 0;
      chw[y * W + x] = (on ? 1 : -1) + 0.3 * rng.normal();
      chw[H * W + y * W + x] = rng.normal();
    }
  }
  return { id: `s${seed}`, examples: [{ features: toHwc(chw, C, H, W), target }] };
}

describe("dense SRM", () => {
  it("converts CHW embeddings to tf's HWC layout", () => {
    expect(Array.from(toHwc(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), 2, 2, 2))).toEqual([
      1, 5, 2, 6, 3, 7, 4, 8,
    ]);
  });

  it("predicts a map over the whole frame, the ensemble being the members' mean", () => {
    const srm = new Srm(
      { branch: "implicit", embeddingChannels: C, height: H, width: W, hidden: 4, members: 2 },
      1,
    );
    const input = syntheticImage(1).examples[0];
    const a = srm.predict(input, 0);
    const b = srm.predict(input, 1);
    const mean = srm.predict(input);
    expect(mean).toHaveLength(H * W);
    for (let i = 0; i < mean.length; i++) expect(mean[i]).toBeCloseTo((a[i] + b[i]) / 2, 5);
    srm.dispose();
  });

  it("refuses a frame it cannot halve twice, and the explicit branch runs with M_c", () => {
    expect(
      () =>
        new Srm({ branch: "implicit", embeddingChannels: 1, height: 6, width: 8, hidden: 4, members: 1 }, 1),
    ).toThrow(/divisible by 4/);
    const srm = new Srm(
      { branch: "explicit", embeddingChannels: C, height: H, width: W, hidden: 4, members: 1 },
      1,
    );
    const input = syntheticImage(2).examples[0];
    expect(srm.predict({ ...input, prior: new Float32Array(H * W).fill(1) })).toHaveLength(H * W);
    srm.dispose();
  });

  it("learns the task with cross-fitting; each out-of-fold map comes from the member that never saw the image", () => {
    const images = Array.from({ length: 12 }, (_, i) => syntheticImage(10 + i));
    const srm = new Srm(
      { branch: "implicit", embeddingChannels: C, height: H, width: W, hidden: 8, members: 3 },
      2,
    );
    const before =
      images.reduce((s, im) => s + mapIou(srm.predict(im.examples[0]), im.examples[0].target), 0) / 12;
    const fit = fitSrm(srm, images, { maxEpochs: 40, patience: 40, batchSize: 4, lr: 1e-2, seed: 1 });
    expect(fit.members).toHaveLength(3);
    expect(fit.members.every((m) => m.valImages === 4 && m.trainExamples === 8)).toBe(true);
    expect(fit.outOfFoldIou).toBeGreaterThan(before + 0.2);
    images.forEach((im, i) => {
      expect(Array.from(fit.outOfFold[i])).toEqual(Array.from(srm.predict(im.examples[0], foldOf(i, 3))));
    });
    srm.dispose();
  });
});
