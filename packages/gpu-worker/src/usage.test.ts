import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTaskRegistry,
  type EvaluationManifest,
  evaluationManifestKey,
  inputKey,
  JobStatusSchema,
  jobStatusKey,
  parseUsageKey,
  queuedStatus,
  UsageRecordSchema,
  usagePrefix,
  usageRecordKey,
} from "@alignsam/core/light";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HandlerContext, jsonLogger } from "./context.ts";
import { createCoreEngine } from "./core-engine.ts";
import { dispatch } from "./dispatch.ts";
import { savePolicyVersion, writeCurrentPointer } from "./policy-store.ts";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

const first = { receiveCount: 1, lastAttempt: false };
const second = { receiveCount: 2, lastAttempt: false };
const TENANT = "acme";
/** Accepted just before midnight; processed (the test clock) the next day. */
const SUBMITTED = "2026-03-01T23:59:58.000Z";

async function scene(offset: number) {
  const [width, height] = [40, 30];
  const rgb = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= 10 + offset && x < 26 + offset && y >= 8 && y < 22;
      rgb.set(inside ? [230, 200, 60] : [30, 60, 90], (y * width + x) * 3);
      label[y * width + x] = inside ? 1 : 0;
    }
  }
  const png = new Uint8Array(
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
  const maskPng = new Uint8Array(
    await sharp(
      label.map((v) => v * 255),
      { raw: { width, height, channels: 1 } },
    )
      .png()
      .toBuffer(),
  );
  return { png, maskPng, image: { width, height, data: rgb }, mask: { width, height, data: label } };
}

describe("metering", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const usageKeys = async () => (await emu.storage.list(usagePrefix(TENANT))).sort();

  beforeAll(async () => {
    emu = await startTestEmulator();
    const engine = createCoreEngine({ bundledPolicyDir: mkdtempSync(join(tmpdir(), "no-policies-")) });
    ctx = {
      storage: emu.storage,
      engine,
      tasks: defaultTaskRegistry,
      log: jsonLogger({}, () => {}),
      enqueue: async () => {},
      now: () => new Date("2026-03-02T00:00:05.000Z"),
    };
    const samples = await Promise.all([0, 4].map(scene));
    const trained = await engine.train({
      task: defaultTaskRegistry.get("saliency"),
      samples: samples.map((s, i) => ({ id: `s${i}`, image: s.image, mask: s.mask })),
      options: { episodes: 1, steps: 2, ppoEpochs: 1, seed: 0 },
    });
    // Policies are per tenant: the version serves TENANT only.
    await savePolicyVersion(emu.storage, {
      tenant: TENANT,
      task: "saliency",
      version: "v1",
      files: trained.files,
    });
    await writeCurrentPointer(
      emu.storage,
      { v: 1, task: "saliency", version: "v1", promotedAt: SUBMITTED },
      TENANT,
    );
    await emu.storage.putBytes(inputKey(TENANT, "img"), samples[0].png, "image/png");
    const data = `tenants/${TENANT}/datasets/set/`;
    await emu.storage.putBytes(`${data}images/a.png`, samples[0].png, "image/png");
    await emu.storage.putBytes(`${data}masks/a.png`, samples[0].maskPng, "image/png");
    await emu.storage.putBytes(`${data}images/b.png`, samples[1].png, "image/png");
    await emu.storage.putBytes(`${data}masks/b.png`, samples[1].maskPng, "image/png");
    await emu.storage.putBytes(`${data}images/bad.png`, new Uint8Array([1, 2, 3]), "image/png");
    await emu.storage.putBytes(`${data}masks/bad.png`, samples[1].maskPng, "image/png");
  });
  afterAll(async () => {
    await emu?.close();
  });

  const segment = (jobId: string) =>
    JSON.stringify({
      v: 1,
      type: "segment",
      jobId,
      tenant: TENANT,
      submittedAt: SUBMITTED,
      task: "saliency",
      uploadId: "img",
      outputs: ["mask"],
    });

  it("writes exactly one record for a segment job delivered twice, even after a crash before its status", async () => {
    expect(await dispatch(ctx, segment("seg-1"), first)).toMatchObject({ outcome: "succeeded" });
    // The first worker "died" after metering but before its terminal status: the job looks running.
    const status = await emu.storage.getJson(jobStatusKey(TENANT, "seg-1"), JobStatusSchema);
    await emu.storage.putJson(jobStatusKey(TENANT, "seg-1"), { ...status, state: "running" });
    expect(await dispatch(ctx, segment("seg-1"), second)).toMatchObject({ outcome: "succeeded" });
    // And a third copy after the job finished is skipped without metering.
    expect(await dispatch(ctx, segment("seg-1"), second)).toMatchObject({ outcome: "skipped" });

    const key = usageRecordKey(TENANT, "2026-03-01", "seg-1", { kind: "segment" });
    expect(await usageKeys()).toEqual([key]);
    const record = await emu.storage.getJson(key, UsageRecordSchema);
    expect(record).toMatchObject({
      tenant: TENANT,
      jobId: "seg-1",
      kind: "segment",
      task: "saliency",
      images: 1,
      acceptedAt: SUBMITTED,
    });
    expect(record!.steps).toBeGreaterThan(0);
    expect(record!.modelSeconds).toBeGreaterThan(0);
  });

  it("writes one record when two copies of a message are handled at the same moment", async () => {
    await Promise.all([dispatch(ctx, segment("seg-2"), first), dispatch(ctx, segment("seg-2"), first)]);
    const mine = (await usageKeys()).filter((k) => parseUsageKey(TENANT, k)?.jobId === "seg-2");
    expect(mine).toEqual([usageRecordKey(TENANT, "2026-03-01", "seg-2", { kind: "segment" })]);
  });

  it("meters each evaluated image once, and not a failed one, across a redelivered shard", async () => {
    const manifest: EvaluationManifest = {
      v: 1,
      evalId: "ev-1",
      jobId: "ev-1",
      tenant: TENANT,
      task: "saliency",
      datasetId: "set",
      shards: [
        {
          index: 0,
          items: ["a", "b", "bad"].map((id) => ({ id, image: `${id}.png`, mask: `${id}.png` })),
        },
      ],
      createdAt: SUBMITTED,
    };
    await emu.storage.putJson(evaluationManifestKey(TENANT, "ev-1"), manifest);
    await emu.storage.putJson(
      jobStatusKey(TENANT, "ev-1"),
      queuedStatus({ jobId: "ev-1", tenant: TENANT, kind: "evaluation", now: new Date(SUBMITTED) }),
    );
    const shard = JSON.stringify({
      v: 1,
      type: "eval-shard",
      jobId: "ev-1",
      tenant: TENANT,
      evalId: "ev-1",
      shard: 0,
    });
    await dispatch(ctx, shard, first);
    await dispatch(ctx, shard, second);
    const mine = (await usageKeys()).filter((k) => parseUsageKey(TENANT, k)?.jobId === "ev-1");
    // No submittedAt in the message: the day comes from the status document's createdAt.
    expect(mine).toEqual(
      ["a", "b"].map((imageId) =>
        usageRecordKey(TENANT, "2026-03-01", "ev-1", { kind: "evaluation-image", imageId }),
      ),
    );
    const record = await emu.storage.getJson(mine[0], UsageRecordSchema);
    expect(record).toMatchObject({
      kind: "evaluation-image",
      imageId: "a",
      images: 1,
      acceptedAt: SUBMITTED,
    });
  });
});
