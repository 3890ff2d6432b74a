import { describe, expect, it } from "vitest";
import { selectCandidates } from "./candidates.ts";

describe("selectCandidates", () => {
  it("slices SAM's 4 outputs like SamPredictor: [1:] for multimask, [0] for single", () => {
    const scores = [0.9, 0.1, 0.2, 0.3];
    expect(selectCandidates(4, scores, "multi", 1)).toEqual([1, 2, 3]);
    expect(selectCandidates(4, scores, "single", 1)).toEqual([0]);
    expect(selectCandidates(4, scores, "auto", 1)).toEqual([1, 2, 3]);
    expect(selectCandidates(4, scores, "auto", 2)).toEqual([0]);
  });

  it("keeps the best-scoring of a baked-in multimask export when one mask is asked for", () => {
    expect(selectCandidates(3, [0.2, 0.8, 0.5], "multi", 1)).toEqual([0, 1, 2]);
    expect(selectCandidates(3, [0.2, 0.8, 0.5], "single", 1)).toEqual([1]);
    expect(selectCandidates(1, [0.4], "multi", 3)).toEqual([0]);
  });
});
