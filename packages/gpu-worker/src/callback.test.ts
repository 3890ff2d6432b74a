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
    expect(await sendCallback(r.url, status, quiet, { secret: "callback-secret-123456" })).toBe(true);
    expect(r.got).toHaveLength(1);
    expect(r.got[0].ok).toBe(true);
    expect(JSON.parse(r.got[0].body).jobId).toBe("j1");
  });

  it("retries a 503 and stops at once on a 400", async () => {
    const flaky = await receiver([503, 200]);
    expect(
      await sendCallback(flaky.url, status, quiet, { secret: "callback-secret-123456", backoffMs: 1 }),
    ).toBe(true);
    expect(flaky.got).toHaveLength(2);
    const refusing = await receiver([400]);
    expect(await sendCallback(refusing.url, status, quiet, { backoffMs: 1 })).toBe(false);
    expect(refusing.got).toHaveLength(1);
  });
});
