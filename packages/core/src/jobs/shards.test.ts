import { describe, expect, it } from "vitest";
import { BatchManifestSchema } from "./batch.ts";
import { EvaluationItemSchema, EvaluationManifestSchema } from "./evaluation.ts";
import { planShards, shardsSchema } from "./shards.ts";

describe("shards of a fanned-out job", () => {
  it("cuts items into ordered shards of at most the given size", () => {
    const items = Array.from({ length: 7 }, (_, i) => ({
      id: `i${i}`,
      image: `i${i}.jpg`,
      mask: `i${i}.png`,
    }));
    const shards = planShards(items, 3);
    expect(shards.map((s) => s.items.length)).toEqual([3, 3, 1]);
    expect(shards.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(shards.flatMap((s) => s.items)).toEqual(items);
    expect(() => planShards(items, 0)).toThrow(RangeError);
  });

  it("refuses shards out of order, empty shards and an empty list, for evaluations and batches alike", () => {
    const schema = shardsSchema(EvaluationItemSchema);
    const item = { id: "a", image: "a.jpg", mask: "a.png" };
    expect(schema.safeParse([{ index: 0, items: [item] }]).success).toBe(true);
    expect(schema.safeParse([{ index: 1, items: [item] }]).error?.issues[0].message).toBe(
      "shards must be indexed 0..n-1 in order",
    );
    expect(schema.safeParse([{ index: 0, items: [] }]).success).toBe(false);
    expect(schema.safeParse([]).success).toBe(false);
    for (const manifest of [BatchManifestSchema, EvaluationManifestSchema]) {
      const shards = manifest.shape.shards.safeParse([{ index: 1, items: [] }]);
      expect(shards.success).toBe(false);
    }
  });
});
