import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it } from "vitest";
import { createLogger, currentRequestId, requestLogging } from "./logger.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger((_level, line) => lines.push(JSON.parse(line) as Record<string, unknown>), "info");
  return { lines, log };
}

describe("API log lines", () => {
  it("stamp the request id on lines logged anywhere inside the request, and one access line without the query", async () => {
    const { lines, log } = capture();
    const app = new Hono();
    app.use("*", requestId({ headerName: "x-request-id" }));
    app.use("*", requestLogging(log));
    app.get("/work", async (c) => {
      await new Promise((r) => setTimeout(r, 1));
      log.warn("deep inside", { seen: currentRequestId() });
      return c.text("ok");
    });
    const res = await app.request("/work?api_key=sk_live_should_not_appear", {
      headers: { "x-request-id": "rid-7" },
    });
    expect(res.status).toBe(200);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "warn", msg: "deep inside", requestId: "rid-7", seen: "rid-7" });
    expect(lines[1]).toMatchObject({
      level: "info",
      msg: "request",
      requestId: "rid-7",
      method: "GET",
      path: "/work",
      status: 200,
    });
    expect(JSON.stringify(lines)).not.toContain("sk_live_should_not_appear");
  });

  it("logs errors raised by handlers with the request id and masks credential-like fields", async () => {
    const { lines, log } = capture();
    const app = new Hono();
    app.use("*", requestId({ headerName: "x-request-id" }));
    app.use("*", requestLogging(log));
    app.onError((err, c) => {
      log.error("request failed", {
        error: err.message,
        authorization: "Bearer abc",
        webhookSecret: "s3cr3t",
      });
      return c.text("no", 500);
    });
    app.get("/boom", () => {
      throw new Error("boom");
    });
    await app.request("/boom", { headers: { "x-request-id": "rid-9" } });
    expect(lines.map((l) => [l.msg, l.requestId])).toEqual([
      ["request failed", "rid-9"],
      ["request", "rid-9"],
    ]);
    expect(lines[0]).toMatchObject({ authorization: "***", webhookSecret: "***" });
    expect(lines[1]).toMatchObject({ status: 500 });
  });

  it("drop lines below the configured level", () => {
    const lines: string[] = [];
    const log = createLogger((_l, line) => lines.push(line), "warn");
    log.info("quiet");
    log.warn("loud");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["loud"]);
  });
});
