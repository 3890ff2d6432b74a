import { describe, expect, it } from "vitest";
import { AlignSamError } from "../errors.ts";
import { CLASSIC_MODEL_ID } from "../models/classic/options.ts";
import type { PolicyCard } from "../policy/card.ts";
import { openBackend } from "./backend.ts";

/** Only the fields openBackend and assertCompatible read. */
function card(segmenter: { modelId: string; channels: number }, prior: PolicyCard["prior"]): PolicyCard {
  return {
    task: { name: "voc" },
    segmenter: {
      backend: "classic",
      modelId: segmenter.modelId,
      embeddingShape: [segmenter.channels, 64, 64],
      lowResSize: 256,
    },
    prior,
  } as unknown as PolicyCard;
}

async function failure(p: Promise<unknown>): Promise<AlignSamError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AlignSamError);
  return e as AlignSamError;
}

describe("openBackend", () => {
  it("opens the handcrafted classic segmenter and the CenterNet prior by default, no prior with --prior none", async () => {
    const plain = await openBackend({});
    expect(plain.segmenter.info.modelId).toBe(CLASSIC_MODEL_ID);
    expect(plain.prior?.info.backend).toBe("centernet");
    const none = await openBackend({ prior: "none" });
    expect(none.prior).toBeUndefined();
  });

  it("refuses an unknown encoder or prior, listing the valid ones", async () => {
    expect((await failure(openBackend({ encoder: "deep" }))).message).toMatch(
      /--encoder is "deep"; expected one of: handcrafted, learned, combined/,
    );
    expect((await failure(openBackend({ prior: "clip" }))).message).toMatch(
      /expected one of: none, centernet/,
    );
  });

  it("reopens the encoder a policy card names, and refuses a flag that contradicts it", async () => {
    const learnedId = `${CLASSIC_MODEL_ID}+learned:centernet-mbv3-coco@human-models-3.0.4`;
    const backend = await openBackend({}, card({ modelId: learnedId, channels: 64 }, { kind: "unused" }));
    expect(backend.segmenter.info.modelId).toBe(learnedId);
    const e = await failure(
      openBackend({ encoder: "handcrafted" }, card({ modelId: learnedId, channels: 64 }, { kind: "unused" })),
    );
    expect(e.code).toBe("POLICY_INCOMPATIBLE");
  }, 30_000);

  it("opens no prior for a policy trained with M_c = 1 unless one is asked for", async () => {
    const none = card({ modelId: CLASSIC_MODEL_ID, channels: 21 }, { kind: "none", note: "M_c = 1" });
    expect((await openBackend({}, none)).prior).toBeUndefined();
    expect((await openBackend({ prior: "centernet" }, none)).prior?.info.backend).toBe("centernet");
  });

  it("refuses a card trained with another CenterNet prior reading", async () => {
    const e = await failure(
      openBackend(
        {},
        card(
          { modelId: CLASSIC_MODEL_ID, channels: 21 },
          { kind: "model", backend: "centernet", modelId: "centernet-mbv3-coco@human-models-3.0.4/heatmap" },
        ),
      ),
    );
    expect(e.code).toBe("POLICY_INCOMPATIBLE");
    expect(e.message).toMatch(/\/heatmap.*\/both/);
  });
});
