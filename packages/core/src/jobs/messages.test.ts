import { describe, expect, it } from "vitest";
import { RESULT_NAMES } from "./keys.ts";
import { JobMessageSchema, parseJobMessage, SEGMENT_OUTPUT_FILES, SEGMENT_OUTPUTS } from "./messages.ts";

describe("job messages", () => {
  it("fills defaults into a minimal segment message", () => {
    const m = JobMessageSchema.parse({ v: 1, type: "segment", jobId: "j1", task: "blur", uploadId: "u1" });
    expect(m).toMatchObject({ tenant: "public", options: { greedy: true, seed: 0 } });
  });

  it("parses every message type", () => {
    for (const raw of [
      { v: 1, type: "eval-shard", jobId: "j", evalId: "e", shard: 0 },
      { v: 1, type: "eval-reduce", jobId: "j", evalId: "e" },
      { v: 1, type: "train", jobId: "j", task: "glass", datasetId: "d1" },
    ]) {
      expect(parseJobMessage(JSON.stringify(raw)).ok).toBe(true);
    }
  });

  it("refuses a future version and recovers the job id to mark it failed", () => {
    const r = parseJobMessage(JSON.stringify({ v: 2, type: "segment", jobId: "j9", tenant: "acme" }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/^invalid job message: v:/);
      expect(r.jobRef).toEqual({ jobId: "j9", tenant: "acme" });
    }
  });

  it("recovers no job id from a traversal attempt or from non-JSON", () => {
    const r = parseJobMessage(JSON.stringify({ v: 1, type: "segment", jobId: "../other", task: "blur" }));
    expect(r).toMatchObject({ ok: false, jobRef: undefined });
    expect(parseJobMessage("{not json")).toEqual({
      ok: false,
      reason: "message body is not JSON",
      jobRef: undefined,
    });
  });

  it("refuses a callback URL that is not http(s)", () => {
    const r = parseJobMessage(
      JSON.stringify({
        v: 1,
        type: "segment",
        jobId: "j",
        task: "blur",
        uploadId: "u",
        callbackUrl: "file:///etc/passwd",
      }),
    );
    expect(r.ok).toBe(false);
  });

  it("carries a subset of segment outputs and refuses an unknown one, naming the valid ones", () => {
    const base = { v: 1, type: "segment", jobId: "j", task: "blur", uploadId: "u" };
    const m = JobMessageSchema.parse({ ...base, outputs: ["mask", "rle"] });
    expect(m.type === "segment" && m.outputs).toEqual(["mask", "rle"]);
    expect(JobMessageSchema.parse(base)).not.toHaveProperty("outputs");
    const bad = parseJobMessage(JSON.stringify({ ...base, outputs: ["mask", "contour"] }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/outputs\.1: .*"mask".*"metrics"/);
    expect(parseJobMessage(JSON.stringify({ ...base, outputs: [] })).ok).toBe(false);
  });

  it("maps every segment output to a result name", () => {
    for (const o of SEGMENT_OUTPUTS) expect(RESULT_NAMES).toContain(SEGMENT_OUTPUT_FILES[o]);
  });
});
