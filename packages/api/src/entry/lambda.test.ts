import { ApiKeyRecordSchema, apiKeyRecordKey, mintApiKey } from "@alignsam/core/light";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestStack, type TestStack } from "../testing/emulator.ts";
import { makeImage } from "../testing/images.ts";

/** An API Gateway HTTP API (payload 2.0) / function URL event, as Lambda delivers it. */
function event(
  method: string,
  path: string,
  body?: { bytes: Uint8Array; contentType: string },
  authorization?: string,
) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: {
      host: "abc123.lambda-url.us-east-1.on.aws",
      "x-forwarded-proto": "https",
      ...(body ? { "content-type": body.contentType } : {}),
      ...(authorization ? { authorization } : {}),
    },
    body: body ? Buffer.from(body.bytes).toString("base64") : null,
    isBase64Encoded: Boolean(body),
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.lambda-url.us-east-1.on.aws",
      domainPrefix: "abc123",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.1", userAgent: "test" },
      requestId: "req-1",
      routeKey: "$default",
      stage: "$default",
      time: "01/Jan/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
  };
}

describe("Lambda entry", () => {
  let stack: TestStack;
  let bearer: string;
  let handler: (
    event: unknown,
    context: unknown,
  ) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;

  beforeAll(async () => {
    stack = await startTestStack();
    vi.stubEnv("ALIGNSAM_S3_ENDPOINT", stack.server.address);
    vi.stubEnv("ALIGNSAM_BUCKET", stack.config.bucket);
    vi.stubEnv("ALIGNSAM_QUEUE_URL", stack.config.queueUrl);
    vi.stubEnv("ALIGNSAM_WEBHOOK_SECRET", "lambda-secret-that-is-long-enough");
    // As deployed: no anonymous tenant, so every /v1 request needs a key.
    vi.stubEnv("ALIGNSAM_ANONYMOUS_TENANT", "");
    const key = mintApiKey();
    bearer = `Bearer ${key.secret}`;
    const record = ApiKeyRecordSchema.parse({
      v: 1,
      id: key.id,
      name: "lambda test",
      tenant: "acme",
      quota: null,
      createdAt: new Date().toISOString(),
      revokedAt: null,
    });
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.config.bucket,
        Key: apiKeyRecordKey(key.hash),
        Body: JSON.stringify(record),
      }),
    );
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    ({ handler } = (await import("./lambda.ts")) as unknown as { handler: typeof handler });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await stack?.stop();
  });

  it("serves a GET through the API Gateway v2 payload", async () => {
    const res = await handler(event("GET", "/v1/tasks", undefined, bearer), {});
    expect(res.statusCode).toBe(200);
    expect((JSON.parse(res.body) as { tasks: unknown[] }).tasks.length).toBeGreaterThan(0);
  });

  it("accepts a base64-encoded multipart image and answers with a status URL on the request's origin", async () => {
    const form = new FormData();
    form.set("image", new File([await makeImage("jpeg")], "a.jpg"));
    form.set("task", "saliency");
    const encoded = new Response(form);
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    const contentType = encoded.headers.get("content-type")!;
    const res = await handler(event("POST", "/v1/segment", { bytes, contentType }, bearer), {});
    expect(res.statusCode).toBe(202);
    const body = JSON.parse(res.body) as { jobId: string; statusUrl: string };
    expect(body.statusUrl).toBe(`https://abc123.lambda-url.us-east-1.on.aws/v1/jobs/${body.jobId}`);
    const messages = (await stack.drainMessages()) as Array<{ tenant: string }>;
    expect(messages.map((m) => m.tenant)).toEqual(["acme"]);
  });

  it("refuses a request without a bearer token (401) when no anonymous tenant is configured", async () => {
    const res = await handler(event("GET", "/v1/tasks"), {});
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { code: "UNAUTHORIZED", requestId: expect.any(String) },
    });
    expect(JSON.parse(res.body).error.message).toContain("Authorization: Bearer");
  });
});
