import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { maskToPolygons, rasterizePolygons } from "@alignsam/core/export";
import { decodeImage } from "@alignsam/core/image";
import {
  DEFAULT_SEGMENT_OUTPUTS,
  defaultTaskRegistry,
  inputKey,
  JobStatusSchema,
  jobPrefix,
  jobStatusKey,
  SEGMENT_OUTPUT_FILES,
  StepsDocumentSchema,
  TrajectoryDocumentSchema,
} from "@alignsam/core/light";
import {
  decodeBinaryMaskPng,
  decodeRle,
  encodeMaskPng,
  encodeProbabilityPng,
  renderOverlay,
} from "@alignsam/core/mask";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HandlerContext, jsonLogger } from "../context.ts";
import { createCoreEngine } from "../core-engine.ts";
import { dispatch } from "../dispatch.ts";
import { resolvePolicy, savePolicyVersion, writeCurrentPointer } from "../policy-store.ts";
import { startTestEmulator, type TestEmulator } from "../testing/emulator.ts";
import { decodeForJob } from "../working-image.ts";

const first = { receiveCount: 1, lastAttempt: false };

/** A 40x30 scene: a bright square on a dark ground, and its label map. */
async function scene(offset: number) {
  const width = 40;
  const height = 30;
  const rgb = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= 10 + offset && x < 26 + offset && y >= 8 && y < 22;
      const i = y * width + x;
      rgb.set(inside ? [230, 200, 60] : [30, 50 + ((x * 7 + y * 3) % 20), 90], i * 3);
      label[i] = inside ? 1 : 0;
    }
  }
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return {
    png: new Uint8Array(png),
    image: { width, height, data: rgb },
    mask: { width, height, data: label },
  };
}

describe("segment job outputs", () => {
  let emu: TestEmulator;
  let ctx: HandlerContext;
  const results = (jobId: string) => emu.storage.list(`${jobPrefix("public", jobId)}results/`);

  beforeAll(async () => {
    emu = await startTestEmulator();
    const engine = createCoreEngine({ bundledPolicyDir: mkdtempSync(join(tmpdir(), "no-policies-")) });
    ctx = {
      storage: emu.storage,
      engine,
      tasks: defaultTaskRegistry,
      log: jsonLogger({}, () => {}),
      enqueue: async () => {},
      now: () => new Date(),
    };
    // A real (tiny) policy, trained here and stored as the task's current version.
    const samples = await Promise.all([0, 4].map(scene));
    const trained = await engine.train({
      task: defaultTaskRegistry.get("saliency"),
      samples: samples.map((s, i) => ({ id: `s${i}`, image: s.image, mask: s.mask })),
      options: { episodes: 1, steps: 2, ppoEpochs: 1, seed: 0 },
    });
    await savePolicyVersion(emu.storage, { task: "saliency", version: "v1", files: trained.files });
    await writeCurrentPointer(emu.storage, {
      v: 1,
      task: "saliency",
      version: "v1",
      promotedAt: new Date().toISOString(),
    });
    await emu.storage.putBytes(inputKey("public", "img"), samples[0].png, "image/png");
  });
  afterAll(async () => {
    await emu.close();
  });

  const segment = (jobId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ v: 1, type: "segment", jobId, task: "saliency", uploadId: "img", ...extra });

  it("writes only the outputs asked for, and names only those in the status", async () => {
    const r = await dispatch(ctx, segment("some", { outputs: ["rle", "mask"] }), first);
    expect(r).toMatchObject({ ack: true, outcome: "succeeded" });
    const prefix = `${jobPrefix("public", "some")}results/`;
    expect(await results("some")).toEqual([`${prefix}mask.png`, `${prefix}rle.json`]);
    const status = await emu.storage.getJson(jobStatusKey("public", "some"), JobStatusSchema);
    expect(Object.keys(status?.resultKeys ?? {}).sort()).toEqual(["mask.png", "rle.json"]);
    expect(status?.summary).toMatchObject({ policyVersion: "v1", method: "alignsam-ppo-srm" });
    const mask = await decodeBinaryMaskPng((await emu.storage.getBytes(`${prefix}mask.png`))!);
    expect([mask.width, mask.height]).toEqual([40, 30]);
  });

  it("writes every default output when none are named, and no polygons.json", async () => {
    await dispatch(ctx, segment("all"), first);
    const names = (await results("all")).map((k) => k.split("/").pop());
    expect(names).toEqual(DEFAULT_SEGMENT_OUTPUTS.map((o) => SEGMENT_OUTPUT_FILES[o]).sort());
    expect(names).not.toContain("polygons.json");
  });

  it("writes polygons.json on request: COCO polygons of the mask rle.json holds", async () => {
    await dispatch(ctx, segment("poly", { outputs: ["rle", "polygons"] }), first);
    const get = async (name: string) =>
      JSON.parse(
        new TextDecoder().decode(
          (await emu.storage.getBytes(`${jobPrefix("public", "poly")}results/${name}`))!,
        ),
      );
    const mask = decodeRle(await get("rle.json"));
    const doc = await get("polygons.json");
    expect(doc).toEqual({ v: 1, width: 40, height: 30, tolerance: 0.5, polygons: maskToPolygons(mask) });
    expect(doc.polygons.length).toBeGreaterThan(0);
    const filled = rasterizePolygons(doc.polygons, 40, 30);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < mask.data.length; i++) {
      inter += filled.data[i] & mask.data[i];
      union += filled.data[i] | mask.data[i];
    }
    expect(inter / union).toBeGreaterThanOrEqual(0.98);
  });

  it("writes, for an image within the working size, exactly what segmenting its full decode gives", async () => {
    await dispatch(ctx, segment("same", { outputs: ["mask", "probability", "overlay"] }), first);
    const prefix = `${jobPrefix("public", "same")}results/`;
    const image = await decodeImage((await emu.storage.getBytes(inputKey("public", "img")))!);
    const outcome = await ctx.engine.segment({
      task: defaultTaskRegistry.get("saliency"),
      image,
      policy: await resolvePolicy(emu.storage, "saliency", undefined),
      greedy: true,
      seed: 0,
    });
    const same = (a: Uint8Array | undefined, b: Uint8Array) =>
      a !== undefined && Buffer.from(a).equals(Buffer.from(b));
    expect(same(await emu.storage.getBytes(`${prefix}mask.png`), await encodeMaskPng(outcome.mask))).toBe(
      true,
    );
    expect(
      same(
        await emu.storage.getBytes(`${prefix}probability.png`),
        await encodeProbabilityPng(outcome.probability),
      ),
    ).toBe(true);
    // The overlay is core's renderer's (the CLI's overlay.png) of the same mask and clicks.
    expect(outcome.trajectory.length).toBeGreaterThan(0);
    expect(
      same(
        await emu.storage.getBytes(`${prefix}overlay.png`),
        await renderOverlay(image, outcome.mask, outcome.trajectory),
      ),
    ).toBe(true);
  });

  it("answers at the input's size for an image above the working size", async () => {
    // The 40x30 scene blown up to 2000x1500, worked at 1000x750.
    const big = await sharp((await scene(0)).png)
      .resize(2000, 1500, { kernel: "nearest" })
      .png()
      .toBuffer();
    await emu.storage.putBytes(inputKey("public", "big"), new Uint8Array(big), "image/png");
    const gt = await sharp(
      (await scene(0)).mask.data.map((v) => v * 255),
      { raw: { width: 40, height: 30, channels: 1 } },
    )
      .resize(2000, 1500, { kernel: "nearest" })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    await emu.storage.putBytes(inputKey("public", "big-gt"), new Uint8Array(gt), "image/png");
    const small = { ...ctx, imageLimits: { maxPixels: 25_000_000, maxLongSide: 1000 } };
    const r = await dispatch(
      small,
      segment("big", { uploadId: "big", groundTruthUploadId: "big-gt" }),
      first,
    );
    expect(r).toMatchObject({ ack: true, outcome: "succeeded" });
    const get = async (name: string) =>
      (await emu.storage.getBytes(`${jobPrefix("public", "big")}results/${name}`))!;
    const size = async (name: string) => {
      const m = await sharp(await get(name)).metadata();
      return [m.width, m.height];
    };
    expect(await size("mask.png")).toEqual([2000, 1500]);
    expect(await size("probability.png")).toEqual([2000, 1500]);
    expect(await size("overlay.png")).toEqual([1000, 750]);
    const text = async (name: string) => JSON.parse(new TextDecoder().decode(await get(name)));
    expect((await text("rle.json")).size).toEqual([1500, 2000]);
    const metrics = await text("metrics.json");
    expect(metrics).toMatchObject({ width: 2000, height: 1500 });
    expect(Object.keys(metrics.metrics ?? {}).length).toBeGreaterThan(0);
    // The clicks are the working-size run's, in the input's coordinates (x2 here).
    const working = await decodeForJob(new Uint8Array(big), small.imageLimits);
    const run = await ctx.engine.segment({
      task: defaultTaskRegistry.get("saliency"),
      image: working.image,
      policy: await resolvePolicy(emu.storage, "saliency", undefined),
      greedy: true,
      seed: 0,
    });
    // Both viewer documents have core's one shape (what the playground reads).
    const { steps } = TrajectoryDocumentSchema.parse(await text("trajectory.json"));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.map((c: { x: number; y: number }) => [c.x, c.y])).toEqual(
      run.trajectory.map((c) => [c.x * 2, c.y * 2]),
    );
    expect(StepsDocumentSchema.parse(await text("steps.json"))).toMatchObject({ width: 2000, height: 1500 });
  });

  it("fails a message naming an unknown output as JOB_INVALID, listing the valid ones", async () => {
    const r = await dispatch(ctx, segment("badout", { outputs: ["mask", "contours"] }), first);
    expect(r).toMatchObject({ ack: false, poison: true });
    const status = await emu.storage.getJson(jobStatusKey("public", "badout"), JobStatusSchema);
    expect(status?.error?.code).toBe("JOB_INVALID");
    expect(status?.error?.message).toMatch(/outputs.*"overlay"/);
    expect(await results("badout")).toEqual([]);
  });
});
