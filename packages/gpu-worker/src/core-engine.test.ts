import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultTaskRegistry, type TaskDefinition } from "@alignsam/core/light";
import { CLASSIC_MODEL_ID, createClassicSegmenter } from "@alignsam/core/models/classic";
import type { PromptableSegmenter } from "@alignsam/core/models/ports";
import { type PolicyCard, PolicyCardSchema } from "@alignsam/core/policy";
import { describe, expect, it } from "vitest";
import { createCoreEngine, withEventLoopTurns } from "./core-engine.ts";
import { resolveTaskDefinition } from "./policy-store.ts";

/** A segmenter that records, at each call, whether a callback queued just before it had run. */
function probe(flag: { fired: boolean }, seen: boolean[]): PromptableSegmenter {
  return {
    info: { backend: "test", modelId: "probe@1", embeddingShape: [1, 1, 1], lowResSize: 1 },
    async encode(image) {
      seen.push(flag.fired);
      return {
        modelId: "probe@1",
        channels: 1,
        height: 1,
        width: 1,
        data: new Float32Array(1),
        imageWidth: image.width,
        imageHeight: image.height,
      };
    },
    async decode() {
      seen.push(flag.fired);
      return { masks: [], scores: [], lowResLogits: [], lowResSize: 1 };
    },
  };
}

async function callsSee(wrap: boolean): Promise<boolean[]> {
  const seen: boolean[] = [];
  const flag = { fired: false };
  const inner = probe(flag, seen);
  const seg = wrap ? withEventLoopTurns(inner) : inner;
  const image = { width: 1, height: 1, data: new Uint8Array(3) };
  setImmediate(() => {
    flag.fired = true;
  });
  const embedding = await seg.encode(image);
  flag.fired = false;
  setImmediate(() => {
    flag.fired = true;
  });
  await seg.decode(embedding, { points: [], labels: [] });
  return seen;
}

describe("withEventLoopTurns", () => {
  it("lets queued event-loop callbacks (a heartbeat) run before every encode and decode", async () => {
    expect(await callsSee(true)).toEqual([true, true]);
  });

  it("is needed: the bare segmenter runs before any of them", async () => {
    expect(await callsSee(false)).toEqual([false, false]);
  });

  it("passes the segmenter's identity through", () => {
    const seg = withEventLoopTurns(probe({ fired: false }, []));
    expect(seg.info.modelId).toBe("probe@1");
    expect(seg.decodeBatch).toBeUndefined();
  });
});

describe("createCoreEngine's embedding cache", () => {
  /** The classic segmenter with its encoder calls counted. */
  function countingClassic(counter: { encodes: number }): PromptableSegmenter {
    const inner = createClassicSegmenter();
    return {
      get info() {
        return inner.info;
      },
      encode(image) {
        counter.encodes += 1;
        return inner.encode(image);
      },
      decode: (embedding, prompt) => inner.decode(embedding, prompt),
    };
  }

  async function segmentTwice(embeddingCacheBytes: number) {
    const counter = { encodes: 0 };
    const engine = createCoreEngine({ segmenter: countingClassic(counter), embeddingCacheBytes });
    const image = discImage(96, 72);
    // blur's bundled policy runs on the handcrafted encoder, i.e. on this counting segmenter.
    const request = {
      task: resolveTaskDefinition(defaultTaskRegistry, "blur", null),
      image,
      policy: null,
      greedy: true,
      seed: 0,
    };
    const first = await engine.segment(request);
    const second = await engine.segment(request);
    return { counter, first, second };
  }

  it("encodes an image once when the same pixels come back, with identical results", async () => {
    const { counter, first, second } = await segmentTwice(64 * 1024 * 1024);
    expect(counter.encodes).toBe(1);
    expect(Buffer.from(second.mask.data).equals(Buffer.from(first.mask.data))).toBe(true);
  });

  it("encodes every time with the cache off", async () => {
    const { counter } = await segmentTwice(0);
    expect(counter.encodes).toBe(2);
  });
});

/** A bright disc on a darker textured background, so the segmenter has something to find. */
function discImage(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2;
      const v = inside ? 220 : 40 + ((x * 7 + y * 13) % 30);
      data.set([v, inside ? 200 : v, inside ? 60 : v], (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

describe("createCoreEngine with a policy trained on the combined encoder and the CenterNet prior", () => {
  const COMBINED = `${CLASSIC_MODEL_ID}+combined:centernet-mbv3-coco@human-models-3.0.4`;
  const task: TaskDefinition = {
    name: "dogs",
    description: "a customer's class-named concept (explicit branch)",
    branch: "explicit",
    texts: ["dog"],
    metrics: ["mIoU"],
  };
  const noBundle = mkdtempSync(join(tmpdir(), "no-policies-"));
  const samples = [0, 1].map((i) => {
    const image = discImage(64 + 8 * i, 48);
    const mask = {
      width: image.width,
      height: image.height,
      data: Uint8Array.from({ length: image.width * image.height }, (_, p) =>
        image.data[3 * p] > 150 ? 1 : 0,
      ),
    };
    return { id: `s${i}`, image, mask };
  });
  const options = { seed: 0, episodes: 1, steps: 2, ppoEpochs: 1 };
  const cardOf = (files: ReadonlyMap<string, Uint8Array>) =>
    PolicyCardSchema.parse(JSON.parse(new TextDecoder().decode(files.get("card.json"))));

  it("retrains with the current card's encoder and prior, and segments with them", async () => {
    const shipped = PolicyCardSchema.parse(
      JSON.parse(readFileSync(new URL("../../../policies/saliency/card.json", import.meta.url), "utf8")),
    );
    const current: PolicyCard = {
      ...shipped,
      task,
      branch: "explicit",
      segmenter: { ...shipped.segmenter, modelId: COMBINED, embeddingShape: [85, 64, 64] },
      prior: { kind: "model", backend: "centernet", modelId: "centernet-mbv3-coco@human-models-3.0.4/both" },
    };
    const basis = {
      task: task.name,
      version: "v0",
      files: new Map([["card.json", new TextEncoder().encode(JSON.stringify(current))]]),
    };
    const engine = createCoreEngine({ segmenter: createClassicSegmenter(), bundledPolicyDir: noBundle });
    const trained = await engine.train({ task, samples, options, basis });
    const card = cardOf(trained.files);
    expect(card.segmenter.modelId).toBe(COMBINED);
    expect(card.segmenter.embeddingShape).toEqual([85, 64, 64]);
    expect(card.prior).toEqual(current.prior);
    const outcome = await engine.segment({
      task,
      image: samples[0].image,
      policy: { task: task.name, version: "v1", files: trained.files },
      greedy: true,
      seed: 0,
    });
    expect(outcome.modelId).toBe(COMBINED);
    expect(outcome.mask.width).toBe(samples[0].image.width);
  }, 60_000);

  it("trains a task with no policy anywhere on the handcrafted segmenter with M_c = 1", async () => {
    const engine = createCoreEngine({ segmenter: createClassicSegmenter(), bundledPolicyDir: noBundle });
    const card = cardOf((await engine.train({ task, samples, options, basis: null })).files);
    expect(card.segmenter.modelId).toBe(CLASSIC_MODEL_ID);
    expect(card.prior.kind).toBe("none");
  }, 30_000);
});

describe("createCoreEngine on a segmenter the bundled policies were not trained for", () => {
  /**
   * The classic segmenter under another model's identity, as a worker with a SAM package presents
   * itself: the shipped (classic) policies' cards name a segmenter it is not.
   */
  function otherModel(): PromptableSegmenter {
    const inner = createClassicSegmenter();
    const info = { ...inner.info, backend: "onnx-sam", modelId: "onnx-sam:stand-in@1" };
    return {
      info,
      encode: async (image) => ({ ...(await inner.encode(image)), modelId: info.modelId }),
      decode: (embedding, prompt) => inner.decode({ ...embedding, modelId: inner.info.modelId }, prompt),
    };
  }
  const bundled = fileURLToPath(new URL("../../../policies", import.meta.url));
  const engine = createCoreEngine({ segmenter: otherModel(), bundledPolicyDir: bundled });
  const blur = defaultTaskRegistry.get("blur");

  it.each(["blur", "saliency"])(
    "treats the shipped %s policy as absent: POLICY_NOT_FOUND saying how to train one",
    async (name) => {
      const request = {
        task: defaultTaskRegistry.get(name),
        image: discImage(64, 48),
        policy: null,
        greedy: true,
        seed: 0,
      };
      const refused = await engine.segment(request).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ code: "POLICY_NOT_FOUND" });
      const { message } = refused as Error;
      expect(message).toContain(
        `task "${name}" has no policy for this worker's segmenter onnx-sam/onnx-sam:stand-in@1`,
      );
      expect(message).toContain(`POST /v1/tasks/${name}/trainings`);
    },
  );

  it("trains on its own segmenter against no current policy, and serves what it trained", async () => {
    const samples = [0, 1].map((i) => {
      const image = discImage(64 + 8 * i, 48);
      const data = Uint8Array.from({ length: image.width * image.height }, (_, p) =>
        image.data[3 * p] > 150 ? 1 : 0,
      );
      return { id: `s${i}`, image, mask: { width: image.width, height: image.height, data } };
    });
    // What a train job scores the candidate against: nothing (it records previousSource "none").
    await expect(engine.evaluatePolicy(blur, null, samples)).rejects.toMatchObject({
      code: "POLICY_NOT_FOUND",
    });
    const trained = await engine.train({
      task: blur,
      samples,
      options: { seed: 0, episodes: 1, steps: 2, ppoEpochs: 1 },
      basis: null,
    });
    const card = PolicyCardSchema.parse(JSON.parse(new TextDecoder().decode(trained.files.get("card.json"))));
    expect(card.segmenter).toMatchObject({ backend: "onnx-sam", modelId: "onnx-sam:stand-in@1" });
    const outcome = await engine.segment({
      task: blur,
      image: samples[0].image,
      policy: { task: "blur", version: "v1", files: trained.files },
      greedy: true,
      seed: 0,
    });
    expect(outcome).toMatchObject({ modelId: "onnx-sam:stand-in@1", policyVersion: "v1" });
  }, 60_000);

  it("still serves the shipped policies on the classic segmenter they were trained on", async () => {
    const classic = createCoreEngine({ segmenter: createClassicSegmenter(), bundledPolicyDir: bundled });
    const outcome = await classic.segment({
      task: blur,
      image: discImage(64, 48),
      policy: null,
      greedy: true,
      seed: 0,
    });
    expect(outcome).toMatchObject({ modelId: CLASSIC_MODEL_ID, policyVersion: "bundled:blur" });
  });
});
