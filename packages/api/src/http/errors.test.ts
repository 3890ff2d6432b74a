import { createServer } from "node:net";
import { AlignSamError } from "@alignsam/core/light";
import { isDependencyOutage } from "@alignsam/core/storage";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { createClients } from "../clients.ts";
import { ApiConfigSchema } from "../config.ts";
import { makeImage } from "../testing/images.ts";
import { RETRY_AFTER_SECONDS, toHttpError } from "./errors.ts";

/** A loopback port nothing listens on (bound, then released). */
function freePortForTest(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => ok(typeof address === "object" && address ? address.port : 0));
    });
  });
}

describe("errors from storage and the queue", () => {
  it("map connection failures, timeouts, throttling and 5xx to 503 UNAVAILABLE, nothing else", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const wrapped = Object.assign(new Error("fetch failed"), { cause: refused });
    const s3Down = new S3ServiceException({
      name: "InternalError",
      $fault: "server",
      $metadata: { httpStatusCode: 503 },
    });
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    for (const e of [refused, wrapped, s3Down, timeout]) {
      expect(isDependencyOutage(e)).toBe(true);
      expect(toHttpError(e)).toMatchObject({ status: 503, code: "UNAVAILABLE" });
    }
    const denied = new S3ServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
    });
    expect(toHttpError(denied)).toMatchObject({ status: 500, code: "INTERNAL" });
    expect(toHttpError(new Error("bug"))).toMatchObject({ status: 500, code: "INTERNAL" });
    expect(toHttpError(new AlignSamError("UNKNOWN_TASK", "x"))).toMatchObject({
      status: 400,
      code: "UNKNOWN_TASK",
    });
  });

  it("answers 503 UNAVAILABLE with Retry-After within seconds when S3 and SQS are unreachable", async () => {
    const dead = `http://127.0.0.1:${await freePortForTest()}`;
    const config = ApiConfigSchema.parse({
      s3Endpoint: dead,
      bucket: "alignsam-nowhere",
      queueUrl: `${dead}/000000000000/jobs`,
      anonymousTenant: "public",
    });
    const { s3, sqs } = createClients(config);
    try {
      const app = createApp({ s3, sqs, config });
      const form = new FormData();
      form.set("image", new File([await makeImage("png")], "x.png", { type: "image/png" }));
      form.set("task", "saliency");
      const started = Date.now();
      const res = await app.request("/v1/segment", { method: "POST", body: form });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS));
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe("UNAVAILABLE");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
      const job = await app.request("/v1/jobs/some-job");
      expect(job.status).toBe(503);
    } finally {
      s3.destroy();
      sqs.destroy();
    }
  });
});
