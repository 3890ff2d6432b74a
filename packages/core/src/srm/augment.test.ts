import { describe, expect, it } from "vitest";
import { createRandom } from "../util/random.ts";
import { augmentOnce, crop, flipHorizontal, photometric } from "./augment.ts";

/** 3 x 2 image whose red channel is the pixel index; mask marks the left column. */
const sample = {
  image: {
    width: 3,
    height: 2,
    data: Uint8Array.from([0, 9, 9, 1, 9, 9, 2, 9, 9, 3, 9, 9, 4, 9, 9, 5, 9, 9]),
  },
  mask: { width: 3, height: 2, data: Uint8Array.from([1, 0, 0, 1, 0, 0]) },
};

describe("SRM augmentation", () => {
  it("flips image and mask together", () => {
    const f = flipHorizontal(sample);
    expect(Array.from(f.mask.data)).toEqual([0, 0, 1, 0, 0, 1]);
    expect([f.image.data[0], f.image.data[3], f.image.data[6]]).toEqual([2, 1, 0]);
  });

  it("crops image and mask to the same window", () => {
    const c = crop(sample, 1, 0, 2, 2);
    expect(c.image.width).toBe(2);
    expect(Array.from(c.mask.data)).toEqual([0, 0, 0, 0]);
    expect([c.image.data[0], c.image.data[3], c.image.data[6], c.image.data[9]]).toEqual([1, 2, 4, 5]);
  });

  it("keeps photometric jitter within the byte range and leaves geometry alone", () => {
    const out = photometric(sample.image, createRandom(1), 0.2);
    expect(out.data.length).toBe(sample.image.data.length);
    expect(out.data.some((v, i) => v !== sample.image.data[i])).toBe(true);
  });

  it("keeps every augmented mask the size of its image, and is reproducible under a seed", () => {
    for (let seed = 0; seed < 20; seed++) {
      const a = augmentOnce(sample, createRandom(seed));
      const b = augmentOnce(sample, createRandom(seed));
      expect(a.mask.width * a.mask.height).toBe(a.image.width * a.image.height);
      expect(a.image.data.length).toBe(a.image.width * a.image.height * 3);
      expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    }
  });
});
