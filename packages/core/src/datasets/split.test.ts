import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { splitTrainTest } from "./split.ts";

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `img${String(i).padStart(3, "0")}` }));

describe("train/test split", () => {
  it("partitions the pairs: train has N, test the rest, nothing lost or repeated", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.nat(), fc.integer(), (n, k, seed) => {
        const pairs = items(n);
        const train = n === 0 ? 0 : k % (n + 1);
        const split = splitTrainTest(pairs, { train, seed });
        expect(split.train).toHaveLength(train);
        expect([...split.train, ...split.test].map((p) => p.id).sort()).toEqual(pairs.map((p) => p.id));
      }),
    );
  });

  it("gives the same split for the same seed whatever the input order, and another for another seed", () => {
    const pairs = items(200);
    const a = splitTrainTest(pairs, { train: 50, seed: 7 });
    const b = splitTrainTest([...pairs].reverse(), { train: 50, seed: 7 });
    expect(b.train.map((p) => p.id)).toEqual(a.train.map((p) => p.id));
    const c = splitTrainTest(pairs, { train: 50, seed: 8 });
    expect(c.train.map((p) => p.id)).not.toEqual(a.train.map((p) => p.id));
    expect(a.train.map((p) => p.id)).not.toEqual(pairs.slice(0, 50).map((p) => p.id)); // actually shuffled
  });

  it("defaults to 50 training pairs", () => {
    expect(splitTrainTest(items(60)).train).toHaveLength(50);
  });

  it("refuses more training pairs than there are, and repeated ids, with INVALID_ARGUMENT", () => {
    expect(() => splitTrainTest(items(10), { train: 11 })).toThrow(/cannot take 11 training pairs from 10/);
    let caught: unknown;
    try {
      splitTrainTest([{ id: "a" }, { id: "a" }], { train: 1 });
    } catch (e) {
      caught = e;
    }
    expect(isAlignSamError(caught, "INVALID_ARGUMENT")).toBe(true);
  });
});
