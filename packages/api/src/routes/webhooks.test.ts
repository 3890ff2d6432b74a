import { signedHeaders, signPayload, TrainMessageSchema } from "@alignsam/core/light";
import { beforeEach, describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { TEST_WEBHOOK_SECRET } from "../testing/emulator.ts";

const NOW = new Date("2026-03-04T05:06:07Z");

describe("POST /v1/webhooks/retrain", () => {
  const t = useTestApp({}, { clock: () => NOW });

  beforeEach(async () => {
    for (const set of ["shadow-train", "smoke"]) {
      for (const [folder, file] of [
        ["images", "a.jpg"],
        ["masks", "a.png"],
      ]) {
        const Key = `tenants/public/datasets/${set}/${folder}/${file}`;
        await t.stack.put(Key, "x");
      }
    }
    seeded = await t.stack.allKeys();
  });
  let seeded: string[] = [];

  const body = JSON.stringify({
    task: "shadow",
    dataset: "tenants/public/datasets/shadow-train/",
    options: { episodes: 3 },
  });

  function send(raw: string, headers: Record<string, string>, target = t.app) {
    return target.request("/v1/webhooks/retrain", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: raw,
    });
  }

  async function codeOf(res: Response): Promise<string> {
    return ((await res.json()) as { error: { code: string } }).error.code;
  }

  it("accepts a signed request once, enqueues a train job, and refuses the replay with 401", async () => {
    const headers = signedHeaders(TEST_WEBHOOK_SECRET, body, NOW);
    const res = await send(body, headers);
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const [message] = (await t.stack.drainMessages()).map((m) => TrainMessageSchema.parse(m));
    expect(message).toMatchObject({
      jobId,
      task: "shadow",
      datasetId: "shadow-train",
      options: { episodes: 3, seed: 0 },
    });

    const keysAfterFirst = await t.stack.allKeys();
    const replay = await send(body, headers);
    expect(replay.status).toBe(401);
    expect(await codeOf(replay)).toBe("SIGNATURE_REPLAYED");
    // A second API instance (another Lambda) shares only S3, and still refuses it.
    const other = t.variant();
    expect((await send(body, headers, other)).status).toBe(401);
    expect(await t.stack.allKeys()).toEqual(keysAfterFirst);
    expect(await t.stack.drainMessages()).toEqual([]);
  });

  it("refuses a wrong secret, a tampered body and missing headers with 401, writing nothing", async () => {
    const wrong = await send(body, signedHeaders("another-secret-of-enough-length", body, NOW));
    expect(wrong.status).toBe(401);
    expect(await codeOf(wrong)).toBe("SIGNATURE_INVALID");

    const headers = signedHeaders(TEST_WEBHOOK_SECRET, body, NOW);
    const tampered = await send(body.replace("shadow-train", "shadow-other"), headers);
    expect(tampered.status).toBe(401);
    expect(await codeOf(tampered)).toBe("SIGNATURE_INVALID");

    const missing = await send(body, {});
    expect(missing.status).toBe(401);
    expect(await codeOf(missing)).toBe("SIGNATURE_MISSING");
    expect(await t.stack.allKeys()).toEqual(seeded);
  });

  it("refuses a timestamp outside the five-minute window with SIGNATURE_EXPIRED", async () => {
    const old = new Date(NOW.getTime() - 301_000);
    const res = await send(body, signedHeaders(TEST_WEBHOOK_SECRET, body, old));
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("SIGNATURE_EXPIRED");
    const edge = new Date(NOW.getTime() - 299_000);
    expect((await send(body, signedHeaders(TEST_WEBHOOK_SECRET, body, edge))).status).toBe(202);
  });

  it("validates the signed body: unknown task 400 with valid values, bad dataset 400, and does not burn the signature", async () => {
    const unknown = JSON.stringify({ task: "sky", dataset: "tenants/public/datasets/x/" });
    const headers = signedHeaders(TEST_WEBHOOK_SECRET, unknown, NOW);
    const res = await send(unknown, headers);
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { code: string; details: { valid: string[] } } }).error;
    expect(err.code).toBe("UNKNOWN_TASK");
    expect(err.details.valid).toContain("shadow");
    expect((await send(unknown, headers)).status).toBe(400); // refused, not "replayed"

    const traversal = JSON.stringify({ task: "shadow", dataset: "tenants/public/datasets/../../policies/" });
    expect((await send(traversal, signedHeaders(TEST_WEBHOOK_SECRET, traversal, NOW))).status).toBe(400);
    const notJson = "{task";
    const ts = Math.floor(NOW.getTime() / 1000);
    const bad = await send(notJson, {
      "x-alignsam-timestamp": String(ts),
      "x-alignsam-signature": signPayload(TEST_WEBHOOK_SECRET, ts, notJson),
    });
    expect(bad.status).toBe(400);
    expect(await codeOf(bad)).toBe("INVALID_JSON");
    expect(await t.stack.allKeys()).toEqual(seeded);
  });

  it("refuses a dataset prefix that holds no images with 404 DATASET_NOT_FOUND", async () => {
    const raw = JSON.stringify({ task: "shadow", dataset: "tenants/public/datasets/empty/" });
    const res = await send(raw, signedHeaders(TEST_WEBHOOK_SECRET, raw, NOW));
    expect(res.status).toBe(404);
    expect(await codeOf(res)).toBe("DATASET_NOT_FOUND");
    expect(await t.stack.allKeys()).toEqual(seeded);
  });

  it("accepts a new task with its own definition", async () => {
    const raw = JSON.stringify({
      task: "smoke",
      dataset: "tenants/public/datasets/smoke/",
      taskDefinition: {
        name: "smoke",
        description: "smoke plumes",
        branch: "explicit",
        texts: ["smoke"],
        metrics: ["mIoU"],
      },
    });
    const res = await send(raw, signedHeaders(TEST_WEBHOOK_SECRET, raw, NOW));
    expect(res.status).toBe(202);
    const [m] = (await t.stack.drainMessages()).map((x) => TrainMessageSchema.parse(x));
    expect(m.taskDefinition?.texts).toEqual(["smoke"]);
  });

  it("answers 503 WEBHOOK_DISABLED when no secret is configured", async () => {
    const noSecret = t.variant({ webhookSecret: undefined });
    const res = await send(body, signedHeaders(TEST_WEBHOOK_SECRET, body, NOW), noSecret);
    expect(res.status).toBe(503);
    expect(await codeOf(res)).toBe("WEBHOOK_DISABLED");
  });
});
