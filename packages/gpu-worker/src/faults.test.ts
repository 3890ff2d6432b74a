import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectS3PutFaults, s3FaultPlanFromEnv } from "./faults.ts";
import { createS3Storage } from "./storage.ts";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

describe("S3 write fault injection (tests only)", () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator("alignsam-faults");
  });
  afterAll(async () => {
    await emu.close();
  });

  it("is off unless ALIGNSAM_FAULT_S3_PUT_FAILURES is set, and refuses a bad count", () => {
    expect(s3FaultPlanFromEnv({})).toBeUndefined();
    expect(s3FaultPlanFromEnv({ ALIGNSAM_FAULT_S3_PUT_FAILURES: "0" })).toBeUndefined();
    expect(
      s3FaultPlanFromEnv({ ALIGNSAM_FAULT_S3_PUT_FAILURES: "2", ALIGNSAM_FAULT_S3_PUT_KEY: "/results/" }),
    ).toMatchObject({ putFailures: 2, keyPattern: /\/results\// });
    expect(() => s3FaultPlanFromEnv({ ALIGNSAM_FAULT_S3_PUT_FAILURES: "x" })).toThrow(/non-negative integer/);
  });

  it("fails exactly the first n matching writes, past the SDK's and the storage's retries", async () => {
    const lines: string[] = [];
    const storage = createS3Storage({
      bucket: emu.bucket,
      region: "us-east-1",
      endpoint: emu.endpoint,
      writeAttempts: 2,
      writeBackoffMs: 1,
      faults: { putFailures: 0 },
    });
    const counter = injectS3PutFaults(storage.client, { putFailures: 3, keyPattern: /results/ }, (l) =>
      lines.push(l),
    );
    try {
      await storage.putText("jobs/j/status.json", "{}", "application/json"); // not matched: no fault
      // Two storage attempts, two injected faults: the write fails like a real outage would.
      await expect(storage.putText("jobs/j/results/a", "a", "text/plain")).rejects.toThrow(/fault injected/);
      expect(counter.remaining).toBe(1);
      // One fault left: the first attempt fails, the retry writes.
      await storage.putText("jobs/j/results/a", "a", "text/plain");
      expect(counter.remaining).toBe(0);
      expect((await storage.list("jobs/j/")).sort()).toEqual(["jobs/j/results/a", "jobs/j/status.json"]);
      expect(lines).toHaveLength(3);
    } finally {
      storage.client.destroy();
    }
  });
});
