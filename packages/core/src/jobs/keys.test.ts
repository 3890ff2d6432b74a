import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import {
  embeddingKey,
  evaluationPerImageKey,
  evaluationShardDoneKey,
  inputKey,
  jobResultKey,
  jobStatusKey,
  policyCurrentKey,
  policyFileKey,
  type ResultName,
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
