import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../testing/emulator.ts";

describe("Node entry", () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;
  let base = "";
  let firstLine = "";

  beforeAll(async () => {
    stack = await startTestStack();
    child = spawn(process.execPath, [join(import.meta.dirname, "node.ts")], {
      env: {
        PATH: process.env.PATH,
        PORT: "0",
        ALIGNSAM_S3_ENDPOINT: stack.server.address,
        ALIGNSAM_BUCKET: stack.config.bucket,
        ALIGNSAM_QUEUE_URL: stack.config.queueUrl,
        ALIGNSAM_WEBHOOK_SECRET: "node-entry-secret-long-enough",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
    firstLine = chunk.toString().split("\n")[0];
    base = `http://127.0.0.1:${(JSON.parse(firstLine) as { port: number }).port}`;
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    await stack?.stop();
  });

  it("listens on the configured port and logs its configuration with the secret masked", async () => {
    expect(firstLine).toContain('"msg":"alignsam api listening"');
    expect(firstLine).not.toContain("node-entry-secret-long-enough");
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("answers an oversized upload with 413 over real HTTP", async () => {
    const res = await fetch(`${base}/v1/uploads`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contentType: "image/png", contentLength: 1, padding: "x".repeat(70_000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("stops on SIGTERM", async () => {
    child!.kill("SIGTERM");
    const [code] = await once(child!, "exit");
    expect(code).toBe(0);
  });
});
