import { createServer } from "node:http";
import { queuedStatus, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "@alignsam/core/light";
import { afterEach, describe, expect, it } from "vitest";
import { sendCallback } from "./callback.ts";
import { jsonLogger } from "./context.ts";

const quiet = jsonLogger({}, () => {});
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A receiver answering with the given status codes in turn, recording what it got. */
async function receiver(codes: number[]) {
  const got: Array<{ body: string; ok: boolean }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const ok = verifySignature("callback-secret-123456", {
        timestamp: req.headers[TIMESTAMP_HEADER] as string,
        signature: req.headers[SIGNATURE_HEADER] as string,
        body,
      });
      got.push({ body, ok });
      res.writeHead(codes[Math.min(got.length - 1, codes.length - 1)]).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/cb`, got };
}

describe("completion callbacks", () => {
  const status = { ...queuedStatus({ jobId: "j1", kind: "segment" }), state: "succeeded" as const };

  it("posts the status with a signature the receiver verifies", async () => {
    const r = await receiver([204]);
    const at = new Date("2026-03-04T05:06:07Z");
    expect(
      await sendCallback(r.url, status, quiet, {
        secret: "callback-secret-123456",
        allowPrivate: true,
        now: () => at,
      }),
    ).toEqual({ delivered: true, attempts: 1, lastStatus: 204, at: at.toISOString() });
    expect(r.got).toHaveLength(1);
    expect(r.got[0].ok).toBe(true);
    expect(JSON.parse(r.got[0].body).jobId).toBe("j1");
  });

  it("retries a 503 and stops at once on a 400", async () => {
    const flaky = await receiver([503, 200]);
    expect(
      await sendCallback(flaky.url, status, quiet, {
        secret: "callback-secret-123456",
        backoffMs: 1,
        allowPrivate: true,
      }),
    ).toMatchObject({ delivered: true, attempts: 2, lastStatus: 200 });
    expect(flaky.got).toHaveLength(2);
    const refusing = await receiver([400]);
    expect(
      await sendCallback(refusing.url, status, quiet, { backoffMs: 1, allowPrivate: true }),
    ).toMatchObject({ delivered: false, attempts: 1, lastStatus: 400 });
    expect(refusing.got).toHaveLength(1);
  });

  it("reports the last error after every attempt failed to connect", async () => {
    const r = await receiver([204]);
    await closers.pop()!(); // the port is free again: nothing listens
    const outcome = await sendCallback(r.url, status, quiet, {
      backoffMs: 1,
      attempts: 2,
      allowPrivate: true,
    });
    expect(outcome).toMatchObject({ delivered: false, attempts: 2 });
    expect(outcome.lastStatus).toBeUndefined();
    expect(outcome.lastError).toMatch(/ECONNREFUSED/);
  });

  it("does not follow a redirect", async () => {
    const redirecting = await receiver([302]);
    expect(
      await sendCallback(redirecting.url, status, quiet, { backoffMs: 1, allowPrivate: true }),
    ).toMatchObject({ delivered: false, attempts: 1, lastStatus: 302 });
    expect(redirecting.got).toHaveLength(1);
  });

  it("refuses loopback and http without ALIGNSAM_ALLOW_PRIVATE_CALLBACKS, sending nothing", async () => {
    const r = await receiver([204]);
    const lines: string[] = [];
    const log = jsonLogger({}, (l) => lines.push(l));
    expect(await sendCallback(r.url, status, log, { backoffMs: 1, allowPrivate: false })).toMatchObject({
      delivered: false,
      attempts: 0,
      lastError: expect.stringContaining("refused by the address policy"),
    });
    const https = r.url.replace("http://", "https://");
    expect(await sendCallback(https, status, log, { backoffMs: 1, allowPrivate: false })).toMatchObject({
      delivered: false,
      attempts: 0,
    });
    expect(r.got).toHaveLength(0);
    expect(lines.join("\n")).toContain("callback refused by address policy");
  });

  it("refuses a name that resolves to loopback when it connects (DNS rebinding)", async () => {
    const r = await receiver([204]);
    const port = new URL(r.url).port;
    const lines: string[] = [];
    const log = jsonLogger({}, (l) => lines.push(l));
    let lookups = 0;
    const rebinding = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const ok = await sendCallback(`https://hooks.rebind.example:${port}/cb`, status, log, {
      allowPrivate: false,
      resolve: rebinding,
      backoffMs: 1,
    });
    expect(ok).toMatchObject({
      delivered: false,
      attempts: 0,
      lastError: expect.stringContaining("resolves to 127.0.0.1"),
    });
    expect(lookups).toBe(1);
    expect(r.got).toHaveLength(0);
    expect(lines.join("\n")).toContain("resolves to 127.0.0.1");
  });
});
