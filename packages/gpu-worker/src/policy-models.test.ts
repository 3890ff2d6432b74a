import { readFileSync } from "node:fs";
import { AlignSamError } from "@alignsam/core/light";
import { CLASSIC_MODEL_ID, createClassicSegmenter } from "@alignsam/core/models/classic";
import type { PromptableSegmenter } from "@alignsam/core/models/ports";
import { type PolicyCard, PolicyCardSchema } from "@alignsam/core/policy";
import { describe, expect, it } from "vitest";
import { createPolicyModelResolver } from "./policy-models.ts";

const COMBINED = `${CLASSIC_MODEL_ID}+combined:centernet-mbv3-coco@human-models-3.0.4`;
const CENTERNET_PRIOR = "centernet-mbv3-coco@human-models-3.0.4/both";
const shipped = PolicyCardSchema.parse(
  JSON.parse(readFileSync(new URL("../../../policies/shadow/card.json", import.meta.url), "utf8")),
);

function card(modelId: string, channels: number, prior: PolicyCard["prior"]): PolicyCard {
  return {
    ...shipped,
    segmenter: { ...shipped.segmenter, modelId, embeddingShape: [channels, 64, 64] },
    prior,
  };
}

function resolver() {
  const wrapped: PromptableSegmenter[] = [];
  const models = createPolicyModelResolver({
    handcrafted: createClassicSegmenter(),
    wrap: (s) => {
      wrapped.push(s);
      return s;
    },
  });
  return { models, wrapped };
}

describe("createPolicyModelResolver", () => {
  it("serves a handcrafted card with the engine's segmenter and opens nothing else", async () => {
    const { models, wrapped } = resolver();
    const chosen = await models.forCard(card(CLASSIC_MODEL_ID, 21, { kind: "none", note: "M_c = 1" }));
    expect(chosen.segmenter.info.modelId).toBe(CLASSIC_MODEL_ID);
    expect(chosen.prior).toBe("none");
    expect(models.opened).toEqual(["handcrafted"]);
    expect(wrapped).toHaveLength(0);
  });

  it("opens the combined segmenter (wrapped, once) and the CenterNet prior for a card that names them", async () => {
    const { models, wrapped } = resolver();
    const named = card(COMBINED, 85, { kind: "model", backend: "centernet", modelId: CENTERNET_PRIOR });
    const [a, b] = await Promise.all([models.forCard(named), models.forCard(named)]);
    expect(a.segmenter.info.modelId).toBe(COMBINED);
    expect(a.segmenter.info.embeddingShape).toEqual([85, 64, 64]);
    expect(b.segmenter).toBe(a.segmenter);
    expect(wrapped).toHaveLength(1);
    expect(typeof a.prior === "object" && a.prior.info.modelId).toBe(CENTERNET_PRIOR);
    expect(b.prior).toBe(a.prior);
    expect(models.opened).toEqual(["handcrafted", "combined"]);
  }, 30_000);

  it("refuses a prior this worker does not have, naming it", async () => {
    const { models } = resolver();
    const e = await models
      .forCard(card(CLASSIC_MODEL_ID, 21, { kind: "model", backend: "clip-surgery", modelId: "vit-b16" }))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AlignSamError);
    expect((e as AlignSamError).code).toBe("PRIOR_UNAVAILABLE");
    expect((e as AlignSamError).message).toMatch(/clip-surgery prior vit-b16/);
  });
});

describe("which cards a worker's segmenter serves", () => {
  const classicWorker = resolver().models;
  const classic = createClassicSegmenter();
  const samInfo = {
    backend: "onnx-sam",
    modelId: "onnx-sam:mobile@1",
    embeddingShape: [256, 64, 64] as [number, number, number],
    lowResSize: 256,
  };
  const samWorker = createPolicyModelResolver({
    handcrafted: { ...classic, info: samInfo },
    wrap: (s) => s,
  });
  const samCard = (modelId: string, shape: [number, number, number]): PolicyCard => ({
    ...shipped,
    segmenter: { ...shipped.segmenter, backend: "onnx-sam", modelId, embeddingShape: shape },
  });

  it("a classic worker serves every classic encoder's card, and no SAM card", () => {
    expect(classicWorker.serves(card(CLASSIC_MODEL_ID, 21, { kind: "unused" }))).toBe(true);
    expect(classicWorker.serves(card(COMBINED, 85, { kind: "unused" }))).toBe(true);
    expect(classicWorker.serves(samCard(samInfo.modelId, samInfo.embeddingShape))).toBe(false);
  });

  it("a SAM worker serves only cards of its own model and embedding shape", () => {
    expect(samWorker.serves(samCard(samInfo.modelId, samInfo.embeddingShape))).toBe(true);
    expect(samWorker.serves(samCard("onnx-sam:other@1", samInfo.embeddingShape))).toBe(false);
    expect(samWorker.serves(samCard(samInfo.modelId, [256, 32, 32]))).toBe(false);
    expect(samWorker.serves(card(CLASSIC_MODEL_ID, 21, { kind: "unused" }))).toBe(false);
    expect(samWorker.serves(card(COMBINED, 85, { kind: "unused" }))).toBe(false);
  });
});
