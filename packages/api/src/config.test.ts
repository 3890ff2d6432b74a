import { DEFAULT_MAX_PIXELS } from "@alignsam/core/image";
import { describe, expect, it } from "vitest";
import { describeConfig, loadConfig } from "./config.ts";

const minimal = {
  ALIGNSAM_BUCKET: "alignsam-data",
  ALIGNSAM_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/jobs",
};

describe("loadConfig", () => {
  it("fills documented defaults from a minimal environment", () => {
    const c = loadConfig(minimal);
    expect(c).toMatchObject({
      port: 3000,
      region: "us-east-1",
      maxImageBytes: 10 * 1024 * 1024,
      presignExpirySeconds: 900,
    });
    // The same pixel limit as the worker's decode (core's default), so the API refuses what it would.
    expect(c.maxImagePixels).toBe(DEFAULT_MAX_PIXELS);
    expect(c.webhookSecret).toBeUndefined();
  });

  it("falls back to AWS_REGION and strips a trailing slash from the public URL", () => {
    const c = loadConfig({
      ...minimal,
      AWS_REGION: "eu-west-1",
      ALIGNSAM_PUBLIC_BASE_URL: "https://api.example.com/",
    });
    expect(c.region).toBe("eu-west-1");
    expect(c.publicBaseUrl).toBe("https://api.example.com");
  });

  it("names every bad variable in one error", () => {
    expect(() => loadConfig({ ALIGNSAM_QUEUE_URL: "not a url", PORT: "99999" })).toThrow(
      /ALIGNSAM_BUCKET[\s\S]*ALIGNSAM_QUEUE_URL|ALIGNSAM_QUEUE_URL[\s\S]*ALIGNSAM_BUCKET/,
    );
    expect(() => loadConfig({ ...minimal, PORT: "99999" })).toThrow(/PORT/);
  });

  it("masks the webhook secret when described", () => {
    const c = loadConfig({ ...minimal, ALIGNSAM_WEBHOOK_SECRET: "a-very-secret-value-123" });
    expect(c.webhookSecret).toBe("a-very-secret-value-123");
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain("a-very-secret-value-123");
    expect(text).toContain("********");
  });

  it("refuses a webhook secret too short to be safe", () => {
    expect(() => loadConfig({ ...minimal, ALIGNSAM_WEBHOOK_SECRET: "short" })).toThrow(
      /ALIGNSAM_WEBHOOK_SECRET/,
    );
  });
});
