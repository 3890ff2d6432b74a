import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { signedHeaders } from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../testing/emulator.ts";

const WEBHOOK_SECRET = "node-entry-secret-long-enough";
const BEARER_TOKEN = "sk_live_bearer-token-never-logged-42";

describe("Node entry", () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;
  let base = "";
  let firstLine = "";
  const output: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    child = spawn(process.execPath, [join(import.meta.dirname, "node.ts")], {
      env: {
        PATH: process.env.PATH,
        PORT: "0",
        ALIGNSAM_S3_ENDPOINT: stack.server.address,
        ALIGNSAM_BUCKET: stack.config.bucket,
        ALIGNSAM_QUEUE_URL: stack.config.queueUrl,
        ALIGNSAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ALIGNSAM_LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (b: Buffer) => output.push(b.toString()));
    child.stderr!.on("data", (b: Buffer) => output.push(b.toString()));
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
    expect(firstLine).not.toContain(WEBHOOK_SECRET);
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

  it("logs webhook and bearer-carrying requests with their request id, never the secrets", async () => {
    const body = JSON.stringify({ task: "saliency", dataset: "tenants/public/datasets/none/" });
    const signed = await fetch(`${base}/v1/webhooks/retrain`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(WEBHOOK_SECRET, body) },
      body,
    });
    const wrong = await fetch(`${base}/v1/webhooks/retrain`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...signedHeaders("a-different-secret-0123456789", body),
      },
      body,
    });
    expect(wrong.status).toBe(401);
    const bearer = await fetch(`${base}/v1/jobs/no-such-job?api_key=${BEARER_TOKEN}`, {
      headers: { authorization: `Bearer ${BEARER_TOKEN}`, "x-request-id": "req-bearer-1" },
    });
    expect(bearer.headers.get("x-request-id")).toBe("req-bearer-1");
    await new Promise((r) => setTimeout(r, 200));
    const lines = output
      .join("")
      .split("\n")
      .filter((l) => l.trim().length > 0);
    const requests = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "request");
    expect(requests.map((r) => r.status)).toEqual(
      expect.arrayContaining([signed.status, 401, bearer.status]),
    );
    expect(requests.every((r) => typeof r.requestId === "string" && r.requestId.length > 0)).toBe(true);
    expect(requests.some((r) => r.requestId === "req-bearer-1")).toBe(true);
    const all = output.join("");
    expect(all).not.toContain(WEBHOOK_SECRET);
    expect(all).not.toContain(BEARER_TOKEN);
    expect(all).not.toContain(signed.headers.get("x-alignsam-signature") ?? "sha256=");
  });

  it("stops on SIGTERM", async () => {
    child!.kill("SIGTERM");
    const [code] = await once(child!, "exit");
    expect(code).toBe(0);
  });
});
