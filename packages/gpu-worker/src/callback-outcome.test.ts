import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultTaskRegistry, JobStatusSchema, jobStatusKey } from "@alignsam/core/light";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HandlerContext, jsonLogger } from "./context.ts";
import { createCoreEngine } from "./core-engine.ts";
import { dispatch } from "./dispatch.ts";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

const first = { receiveCount: 1, lastAttempt: false };
const AT = new Date("2026-05-06T07:08:09Z");

/** A loopback receiver answering every POST with `code`, counting them. */
async function receiver(code: number) {
  let posts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      posts++;
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/cb`,
    posts: () => posts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("the completion callback's outcome on the job status", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const status = (jobId: string) => emu.storage.getJson(jobStatusKey("public", jobId), JobStatusSchema);
  /** A segment job that fails at once (its upload is missing): a terminal status, then the callback. */
  const failingJob = (jobId: string, callbackUrl: string) =>
    dispatch(
      ctx,
      JSON.stringify({ v: 1, type: "segment", jobId, task: "blur", uploadId: "none", callbackUrl }),
      first,
    );

  beforeAll(async () => {
    emu = await startTestEmulator();
    ctx = {
      storage: emu.storage,
      engine: createCoreEngine({ bundledPolicyDir: mkdtempSync(join(tmpdir(), "no-policies-")) }),
      tasks: defaultTaskRegistry,
      log: jsonLogger({}, () => {}),
      enqueue: async () => {},
      now: () => AT,
    };
  });
  afterAll(() => emu?.close());
  afterEach(() => {
    delete process.env.ALIGNSAM_ALLOW_PRIVATE_CALLBACKS;
  });

  it("records a delivered callback: attempts, the receiver's status and the time", async () => {
    process.env.ALIGNSAM_ALLOW_PRIVATE_CALLBACKS = "1"; // the receiver is on loopback
    const r = await receiver(204);
    try {
      expect(await failingJob("cb-ok", r.url)).toMatchObject({ ack: true, outcome: "failed" });
      expect(r.posts()).toBe(1);
      const s = await status("cb-ok");
      expect(s).toMatchObject({ state: "failed", error: { code: "IMAGE_EMPTY" } });
      expect(s?.callback).toEqual({ delivered: true, attempts: 1, lastStatus: 204, at: AT.toISOString() });
    } finally {
      await r.close();
    }
  });

  it("records a refused callback with the receiver's status, not delivered", async () => {
    process.env.ALIGNSAM_ALLOW_PRIVATE_CALLBACKS = "1";
    const r = await receiver(410);
    try {
      await failingJob("cb-gone", r.url);
      expect((await status("cb-gone"))?.callback).toEqual({
        delivered: false,
        attempts: 1,
        lastStatus: 410,
        at: AT.toISOString(),
      });
    } finally {
      await r.close();
    }
  });

  it("records a callback the worker's address policy refused, with no POST made", async () => {
    const r = await receiver(204);
    try {
      await failingJob("cb-private", r.url.replace("http:", "https:"));
      expect(r.posts()).toBe(0);
      expect((await status("cb-private"))?.callback).toMatchObject({
        delivered: false,
        attempts: 0,
        lastError: expect.stringContaining("refused by the address policy"),
      });
    } finally {
      await r.close();
    }
  });
});
