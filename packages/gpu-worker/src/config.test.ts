import { DEFAULT_MAX_PIXELS, DEFAULT_WORKING_LONG_SIDE } from "@alignsam/core/image";
import { describe, expect, it } from "vitest";
import { describeWorkerConfig, loadWorkerConfig } from "./config.ts";

const minimal = {
  ALIGNSAM_BUCKET: "alignsam-local",
  ALIGNSAM_QUEUE_URL: "http://127.0.0.1:4566/000000000000/jobs",
};

describe("worker configuration", () => {
  it("fills documented defaults from a minimal environment", () => {
    const c = loadWorkerConfig({ ...minimal, AWS_REGION: "eu-west-1" });
    expect(c).toMatchObject({
      region: "eu-west-1",
      concurrency: 1,
      visibilityTimeoutSeconds: 120,
      heartbeatSeconds: 30,
      waitTimeSeconds: 20,
      maxReceives: 5,
      faultHoldFirstAttemptMs: 0,
    });
  });

  it("defaults the image limits to core's (25 MP, 2048 px) and refuses a working side below SAM's 1024", () => {
    const c = loadWorkerConfig(minimal);
    expect([c.maxImagePixels, c.workingImageSide]).toEqual([DEFAULT_MAX_PIXELS, DEFAULT_WORKING_LONG_SIDE]);
    expect(loadWorkerConfig({ ...minimal, ALIGNSAM_MAX_IMAGE_PIXELS: "16000000" }).maxImagePixels).toBe(16e6);
    expect(() => loadWorkerConfig({ ...minimal, ALIGNSAM_WORKING_IMAGE_SIDE: "512" })).toThrow(
      /ALIGNSAM_WORKING_IMAGE_SIDE/,
    );
  });

  it("masks the callback secret when printed", () => {
    const c = loadWorkerConfig({ ...minimal, ALIGNSAM_CALLBACK_SECRET: "a-very-secret-key-123" });
    const printed = JSON.stringify(describeWorkerConfig(c));
    expect(printed).not.toContain("a-very-secret-key-123");
    expect(printed).toContain("********");
  });

  it("names the missing bucket variable", () => {
    expect(() => loadWorkerConfig({ ALIGNSAM_QUEUE_URL: minimal.ALIGNSAM_QUEUE_URL })).toThrow(
      /ALIGNSAM_BUCKET/,
    );
  });

  it("refuses a heartbeat that is not below the visibility timeout, naming its variable", () => {
    expect(() =>
      loadWorkerConfig({
        ...minimal,
        ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "10",
        ALIGNSAM_HEARTBEAT_SECONDS: "10",
      }),
    ).toThrow(/ALIGNSAM_HEARTBEAT_SECONDS: heartbeat must be shorter/);
  });

  it("refuses a concurrency above the SQS batch limit", () => {
    expect(() => loadWorkerConfig({ ...minimal, ALIGNSAM_WORKER_CONCURRENCY: "11" })).toThrow(
      /ALIGNSAM_WORKER_CONCURRENCY/,
    );
  });
});
