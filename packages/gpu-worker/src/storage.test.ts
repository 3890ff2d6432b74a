import { JobStatusSchema, queuedStatus } from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

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
