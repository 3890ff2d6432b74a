import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { initTf, probeTraining } from "./backend.ts";

describe("TensorFlow.js backend", () => {
  it("activates a backend that can train our nets, skipping tfjs-node when it is absent", async () => {
    const result = await initTf();
    expect(["tensorflow", "wasm", "cpu"]).toContain(result.backend);
    expect(tf.getBackend()).toBe(result.backend);
    expect(await initTf()).toBe(result);
    const before = tf.memory().numTensors;
    probeTraining();
    expect(tf.memory().numTensors).toBe(before);
  });
});
