import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLASSIC_MODEL_ID, createClassicSegmenter } from "../models/classic/index.ts";
import { PolicyCardSchema } from "../policy/card.ts";
import { defaultTaskRegistry } from "../tasks/registry.ts";
import { openPolicyModels } from "./policy-source.ts";

const shippedCard = (task: string) =>
  PolicyCardSchema.parse(
    JSON.parse(readFileSync(new URL(`../../../../policies/${task}/card.json`, import.meta.url), "utf8")),
  );

describe("openPolicyModels", () => {
  const handcrafted = createClassicSegmenter();

  it("keeps the shared handcrafted segmenter for a handcrafted card, with M_c = 1 on a prior-less explicit card", async () => {
    const blur = await openPolicyModels(defaultTaskRegistry.get("blur"), shippedCard("blur"), handcrafted);
    expect(blur.segmenter).toBe(handcrafted);
    expect(blur.prior).toBeUndefined();
    const shadow = await openPolicyModels(
      defaultTaskRegistry.get("shadow"),
      shippedCard("shadow"),
      handcrafted,
    );
    expect(shadow.segmenter).toBe(handcrafted);
    expect(shadow.prior).toBe("none");
  });

  it("gives a card with another encoder its own segmenter and the CenterNet prior it names", async () => {
    const card = {
      ...shippedCard("shadow"),
      task: defaultTaskRegistry.get("voc"),
      segmenter: {
        ...shippedCard("shadow").segmenter,
        modelId: `${CLASSIC_MODEL_ID}+combined:centernet-mbv3-coco@human-models-3.0.4`,
        embeddingShape: [85, 64, 64] as [number, number, number],
      },
      prior: {
        kind: "model" as const,
        backend: "centernet",
        modelId: "centernet-mbv3-coco@human-models-3.0.4/both",
      },
    };
    const models = await openPolicyModels(defaultTaskRegistry.get("voc"), card, handcrafted);
    expect(models.segmenter).not.toBe(handcrafted);
    expect(models.segmenter.info.modelId).toBe(card.segmenter.modelId);
    expect(typeof models.prior === "object" && models.prior.info.modelId).toBe(card.prior.modelId);
  }, 30_000);

  it("refuses a prior the evaluation cannot open, naming it", async () => {
    const card = {
      ...shippedCard("shadow"),
      prior: { kind: "model" as const, backend: "clip-surgery", modelId: "vit-b16" },
    };
    await expect(openPolicyModels(defaultTaskRegistry.get("shadow"), card, handcrafted)).rejects.toThrow(
      /clip-surgery\/vit-b16/,
    );
  });
});
