import { createS3Client } from "@alignsam/core/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../testing/emulator.ts";
import { createStore } from "./store.ts";

describe("presigned uploads", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

  it("refuses to hand out a PUT URL carrying a checksum of an empty body", async () => {
    // An S3 client with the SDK's default checksums, as a caller might build one by hand.
    const defaults = createS3Client({
      region: "us-east-1",
      endpoint: stack.config.s3Endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      checksums: "WHEN_SUPPORTED",
    });
    try {
      const store = createStore(defaults, stack.config.bucket, 60);
      await expect(store.presignPut("tenants/t/inputs/u", "image/png", 10)).rejects.toThrow(
        /x-amz-checksum-crc32.*WHEN_REQUIRED/,
      );
    } finally {
      defaults.destroy();
    }
  });

  it("uploads exactly the signed bytes through the API's own client", async () => {
    const store = createStore(stack.s3, stack.config.bucket, 60);
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const url = await store.presignPut("tenants/t/inputs/u", "image/png", body.length);
    const put = await fetch(url, {
      method: "PUT",
      headers: { "content-type": "image/png", "content-length": String(body.length) },
      body,
    });
    expect(put.status).toBe(200);
    expect((await store.getBytes("tenants/t/inputs/u", 100))?.bytes).toEqual(body);
  });
});
