import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isNotWorse, type PolicyScore } from "./policy.ts";
import { SIGNATURE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from "./signature.ts";
import { splitHeldOut } from "./split.ts";

describe("train / held-out split", () => {
  it("does not depend on listing order and keeps both sides non-empty", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 2, maxLength: 40 }),
        (ids) => {
          const a = splitHeldOut(ids, 0.2, 7);
          const b = splitHeldOut([...ids].reverse(), 0.2, 7);
          expect(b).toEqual(a);
          expect(a.train.length).toBeGreaterThan(0);
          expect(a.heldOut.length).toBeGreaterThan(0);
          expect(new Set([...a.train, ...a.heldOut]).size).toBe(ids.length);
        },
      ),
    );
  });

  it("holds out roughly the asked share of a large set", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `img${i}`);
    const share = splitHeldOut(ids, 0.25).heldOut.length / ids.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
  });
});

describe("promotion rule", () => {
  const s = (value: number, higherIsBetter = true): PolicyScore => ({
    metric: "mIoU",
    value,
    higherIsBetter,
    splitId: "x",
    images: 10,
  });
  it("promotes ties and better, refuses worse, honours lower-is-better metrics", () => {
    expect(isNotWorse(s(0.5), s(0.5))).toBe(true);
    expect(isNotWorse(s(0.4), s(0.5))).toBe(false);
    expect(isNotWorse(s(0.1, false), s(0.2, false))).toBe(true);
    expect(isNotWorse(s(0.3), null)).toBe(true);
  });
});

describe("webhook signatures", () => {
  it("accepts its own signature and refuses a changed body, wrong secret or stale timestamp", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const h = signedHeaders("s3cret", '{"a":1}', now);
    const args = { timestamp: h[TIMESTAMP_HEADER], signature: h[SIGNATURE_HEADER], body: '{"a":1}' };
    expect(verifySignature("s3cret", args, { now })).toBe(true);
    expect(verifySignature("s3cret", { ...args, body: '{"a":2}' }, { now })).toBe(false);
    expect(verifySignature("other", args, { now })).toBe(false);
    expect(verifySignature("s3cret", args, { now: new Date(now.getTime() + 3_600_000) })).toBe(false);
  });
});
