import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { apiKeyHashPrefix, apiKeyIdFromHash, hashApiKeySecret, mintApiKey } from "./api-keys.ts";
import {
  apiKeyRecordKey,
  embeddingKey,
  evaluationPerImageKey,
  evaluationShardDoneKey,
  inputKey,
  jobResultKey,
  jobStatusKey,
  parseReservationKey,
  parseUsageKey,
  policyCurrentKey,
  policyFileKey,
  type ResultName,
  reservationKey,
  type UsageUnit,
  usageRecordKey,
} from "./keys.ts";

describe("S3 key layout", () => {
  it("builds the documented keys", () => {
    expect(inputKey("public", "up-1")).toBe("tenants/public/inputs/up-1");
    expect(jobStatusKey("public", "j1")).toBe("tenants/public/jobs/j1/status.json");
    expect(jobResultKey("acme", "j1", "mask.png")).toBe("tenants/acme/jobs/j1/results/mask.png");
    expect(evaluationShardDoneKey("public", "e1", 3)).toBe(
      "tenants/public/evaluations/e1/shards/3/done.json",
    );
    expect(evaluationPerImageKey("public", "e1", "img_7")).toBe(
      "tenants/public/evaluations/e1/per-image/img_7.json",
    );
    expect(policyFileKey("blur", "v2", "policy.json")).toBe("policies/blur/v2/policy.json");
    expect(policyCurrentKey("blur")).toBe("policies/blur/current.json");
    expect(embeddingKey("classic-v1", "a".repeat(64))).toBe(`embeddings/classic-v1/${"a".repeat(64)}.bin`);
  });

  it.each(["..", "a/../b", "a/b", "", ".hidden", "a..b", "x\u0000", "é", "a b"])(
    "refuses the traversal-prone segment %j with INVALID_ARGUMENT",
    (bad) => {
      let caught: unknown;
      try {
        inputKey("public", bad);
      } catch (e) {
        caught = e;
      }
      expect(isAlignSamError(caught, "INVALID_ARGUMENT")).toBe(true);
    },
  );

  it("never yields a key that leaves the tenant prefix, whatever the ids", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (tenant, id) => {
        let key: string | undefined;
        try {
          key = jobStatusKey(tenant, id);
        } catch {
          return true;
        }
        return (
          key.startsWith(`tenants/${tenant}/jobs/`) && !key.includes("..") && key.split("/").length === 5
        );
      }),
    );
  });

  it("refuses a result name outside the documented list, listing the valid ones", () => {
    expect(() => jobResultKey("public", "j", "secrets.txt" as ResultName)).toThrow(
      /expected one of: mask.png/,
    );
  });
});

describe("usage and API key keys", () => {
  it("names one key per billable unit, under the tenant, and reads it back from the key alone", () => {
    const units: UsageUnit[] = [
      { kind: "segment" },
      { kind: "evaluation-image", imageId: "img.v2_7" },
      { kind: "train" },
    ];
    const keys = units.map((u) => usageRecordKey("acme", "2026-03-01", "job-1", u));
    expect(keys).toEqual([
      "tenants/acme/usage/2026-03-01/job-1/segment.json",
      "tenants/acme/usage/2026-03-01/job-1/images/img.v2_7.json",
      "tenants/acme/usage/2026-03-01/job-1/train.json",
    ]);
    expect(keys.map((k) => parseUsageKey("acme", k)?.unit)).toEqual(units);
    expect(parseUsageKey("other", keys[0])).toBeUndefined();
    expect(parseUsageKey("acme", "tenants/acme/usage/2026-03-01/job-1/notes.txt")).toBeUndefined();
    expect(() => usageRecordKey("acme", "March 1", "job-1", { kind: "segment" })).toThrow(/yyyy-mm-dd/);
    const ref = { jobId: "job-1", images: 25, createdAtMs: 1_767_225_600_000 };
    const key = reservationKey("acme", ref);
    expect(key).toBe("tenants/acme/reservations/job-1/25.1767225600000.json");
    expect(parseReservationKey("acme", key)).toEqual(ref);
    expect(parseReservationKey("acme", "tenants/acme/reservations/job-1/0.5.json")).toBeUndefined();
    expect(() => reservationKey("acme", { ...ref, images: 0 })).toThrow(/positive/);
  });

  it("stores a key under the hash of its secret and derives a public id from that hash", () => {
    const { secret, hash, id } = mintApiKey();
    expect(hash).toBe(hashApiKeySecret(secret));
    expect(apiKeyRecordKey(hash)).toBe(`_system/keys/${hash}.json`);
    expect(apiKeyRecordKey(hash)).not.toContain(secret);
    expect(id).toBe(apiKeyIdFromHash(hash));
    expect(hash.startsWith(apiKeyHashPrefix(id))).toBe(true);
    expect(mintApiKey().secret).not.toBe(secret);
    expect(() => apiKeyRecordKey("not-a-hash")).toThrow(/SHA-256/);
  });
});
