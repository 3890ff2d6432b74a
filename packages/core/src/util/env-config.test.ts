import { describe, expect, it } from "vitest";
import { z } from "zod";
import { maskSecrets, readEnvConfig } from "./env-config.ts";

const Schema = z.object({
  region: z.string().default("us-east-1"),
  bucket: z.string().min(3),
  port: z.coerce.number().int().max(65535).default(3000),
  secret: z.string().min(8).optional(),
});
const NAMES = { region: "X_REGION", bucket: "X_BUCKET", port: "X_PORT", secret: "X_SECRET" };

describe("readEnvConfig", () => {
  it("treats blank variables as unset and falls back to AWS_REGION", () => {
    const c = readEnvConfig(
      Schema,
      NAMES,
      { X_BUCKET: " data ", X_PORT: "  ", AWS_REGION: "eu-west-1" },
      "test",
    );
    expect(c).toEqual({ region: "eu-west-1", bucket: "data", port: 3000 });
  });

  it("names every bad variable in one error, with what was being configured", () => {
    expect(() => readEnvConfig(Schema, NAMES, { X_PORT: "70000" }, "test")).toThrow(
      /^invalid test configuration:\n {2}X_BUCKET: [^\n]+\n {2}X_PORT: /,
    );
  });

  it("lets the caller convert raw strings before validation", () => {
    const c = readEnvConfig(Schema, NAMES, { X_BUCKET: "data" }, "test", (raw) => {
      raw.bucket = String(raw.bucket).toUpperCase();
    });
    expect(c.bucket).toBe("DATA");
  });
});

describe("maskSecrets", () => {
  it("masks set secret fields and leaves unset ones and the rest as they are", () => {
    expect(maskSecrets({ a: 1, s: "hunter22", t: undefined }, new Set(["s", "t"]))).toEqual({
      a: 1,
      s: "********",
      t: undefined,
    });
  });
});
