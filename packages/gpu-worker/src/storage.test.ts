import { JobStatusSchema, queuedStatus } from "@alignsam/core/light";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withRetry } from "./storage.ts";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

const serverFault = () =>
  new S3ServiceException({ name: "InternalError", $fault: "server", $metadata: { httpStatusCode: 500 } });

describe("S3 storage on the emulator", () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });

  it("round-trips a document through its schema and answers undefined for a missing key", async () => {
    const status = queuedStatus({ jobId: "j1", kind: "segment" });
    await emu.storage.putJson("a/status.json", status);
    expect(await emu.storage.getJson("a/status.json", JobStatusSchema)).toEqual(status);
    expect(await emu.storage.getJson("a/missing.json", JobStatusSchema)).toBeUndefined();
    expect(await emu.storage.getBytes("a/missing.bin")).toBeUndefined();
  });

  it("refuses a stored document that breaks its schema", async () => {
    await emu.storage.putJson("b/status.json", { v: 2 });
    await expect(emu.storage.getJson("b/status.json", JobStatusSchema)).rejects.toThrow();
  });

  it("lists every key under a prefix and nothing outside it", async () => {
    for (const k of ["p/x/1", "p/x/2", "p/y/3", "q/1"]) await emu.storage.putText(k, k, "text/plain");
    expect((await emu.storage.list("p/")).sort()).toEqual(["p/x/1", "p/x/2", "p/y/3"]);
  });
});

describe("retries of idempotent writes", () => {
  it("retries server faults with backoff until one succeeds", async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw serverFault();
        return "ok";
      },
      4,
      1,
    );
    expect([value, calls]).toEqual(["ok", 3]);
  });

  it("gives up after the last attempt and does not retry a client error", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw serverFault();
        },
        3,
        1,
      ),
    ).rejects.toThrow();
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error("AccessDenied");
        },
        3,
        1,
      ),
    ).rejects.toThrow("AccessDenied");
    expect(calls).toBe(1);
  });
});
