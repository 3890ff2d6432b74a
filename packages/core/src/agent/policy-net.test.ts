import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTf } from "../tf/backend.ts";
import { ActorCritic } from "./policy-net.ts";

beforeAll(async () => {
  await initTf();
});

/** A 2 x 2 state with C = 1 plus y_r and |y_r - M|: [E*M, E, M, y_r, gap] per position. */
function input(mask: number[], srm: number[]): Float32Array {
  const out = new Float32Array(4 * 5);
  for (let p = 0; p < 4; p++)
    out.set([0.3 * mask[p], 0.3, mask[p], srm[p], Math.abs(srm[p] - mask[p])], p * 5);
  return out;
}

describe("the actor-critic", () => {
  it("starts a state+srm actor on the cell where the SRM and the mask disagree most", () => {
    const net = new ActorCritic({ inputChannels: 5, stateSize: 2, gridSide: 2, hidden: 4, seesSrm: true }, 3);
    const all = Uint8Array.of(1, 1, 1, 1);
    // Cell 2: mask says background, SRM says foreground; the others agree.
    const { probs } = net.evaluate(input([1, 0, 0, 1], [0.9, 0.1, 0.95, 0.85]), all);
    expect(probs.indexOf(Math.max(...probs))).toBe(2);
    expect(probs[2]).toBeGreaterThan(0.9);
    // Cell 1 disagrees the other way (mask foreground, SRM background): also found.
    const other = net.evaluate(input([1, 1, 0, 1], [0.9, 0.05, 0.1, 0.85]), all).probs;
    expect(other.indexOf(Math.max(...other))).toBe(1);
    // A clicked cell gets no probability, however strong its cue.
    expect(
      net.evaluate(input([1, 0, 0, 1], [0.9, 0.1, 0.95, 0.85]), Uint8Array.of(1, 1, 0, 1)).probs[2],
    ).toBe(0);
    net.dispose();
  });

  it("starts near-uniform with a random (zero) cue read-out", () => {
    const net = new ActorCritic(
      { inputChannels: 5, stateSize: 2, gridSide: 2, hidden: 4, seesSrm: true, actorInit: "random" },
      3,
    );
    const { probs } = net.evaluate(input([1, 0, 0, 1], [0.9, 0.1, 0.95, 0.85]), Uint8Array.of(1, 1, 1, 1));
    for (const p of probs) expect(p).toBeCloseTo(0.25, 1);
    net.dispose();
  });

  it("keeps a near-uniform start for the paper's state-only actor", () => {
    const net = new ActorCritic({ inputChannels: 3, stateSize: 2, gridSide: 2, hidden: 4 }, 3);
    const state = new Float32Array(12).map((_, i) => (i % 3 === 2 ? i % 2 : 0.5));
    const { probs } = net.evaluate(state, Uint8Array.of(1, 1, 1, 1));
    for (const p of probs) expect(p).toBeCloseTo(0.25, 1);
    net.dispose();
  });

  it("gives the same logits and values from input terms derived once (PPO's K epochs) as per call", () => {
    for (const seesSrm of [true, false]) {
      const k = seesSrm ? 5 : 3;
      const net = new ActorCritic({ inputChannels: k, stateSize: 2, gridSide: 2, hidden: 4, seesSrm }, 5);
      const data = Float32Array.from({ length: 3 * 4 * k }, (_, i) => Math.sin(i * 1.7));
      const states = tf.tensor4d(data, [3, 2, 2, k]);
      const available = tf.tensor2d([1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0], [3, 4]);
      const terms = net.inputTerms(states, available);
      const once = net.forward(states, available, terms);
      const each = net.forward(states, available);
      expect(once.logits.dataSync()).toEqual(each.logits.dataSync());
      expect(once.values.dataSync()).toEqual(each.values.dataSync());
      expect(once.logits.dataSync()[2]).toBe(-1e9); // a clicked cell stays masked
      expect(terms.cueCells === undefined).toBe(!seesSrm);
      tf.dispose([states, available, once.logits, once.values, each.logits, each.values]);
      tf.dispose([terms.free, terms.masked, ...(terms.cueCells ? [terms.cueCells] : [])]);
      net.dispose();
    }
  });
});
