/**
 * A batch of 31 generated images (one of them corrupt) through the API on two worker processes, one
 * of which is SIGKILLed while shards run (the stack restarts it): every good image is segmented and
 * metered exactly once, the corrupt one is reported and the rest finish, the batch's COCO file
 * decodes to the very masks of the per-image results (and, for a few images, of a single
 * POST /v1/segment of the same bytes), its polygons rasterise back to the masks, and the archive
 * holds it all.
 */
import { CocoInstancesSchema, rasterizePolygons } from "@alignsam/core/export";
import {
  batchImageFileKey,
  datasetPrefix,
  jobResultKey,
  jobStatusKey,
  usagePrefix,
} from "@alignsam/core/light";
import { type BinaryMask, decodeBinaryMaskPng, decodeRle, rleSchema } from "@alignsam/core/mask";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ANONYMOUS_TENANT } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import { type E2eStack, postSegmentForm, startE2eStack, waitFor, waitForState } from "./harness.ts";

const GOOD = 30;
/**
 * Image side: the saliency policy's masks of these scenes cover 500-2400 px at 128 px, where the
 * polygons' half-pixel simplification keeps IoU >= 0.98; at 96 px some masks are ~150 px and lose more.
 */
const SIDE = 128;
const SHARD_SIZE = 3;
const TENANT = LOCAL_ANONYMOUS_TENANT;
const DATASET = "batch-scenes";
const CORRUPT = "x-corrupt.png";

const nameOf = (i: number) => `s${String(i).padStart(2, "0")}.png`;

function iou(a: BinaryMask, b: BinaryMask): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    inter += a.data[i] && b.data[i] ? 1 : 0;
    union += a.data[i] || b.data[i] ? 1 : 0;
  }
  return union === 0 ? 1 : inter / union;
}

interface BatchView {
  state: string;
  images: { total: number; done: number; succeeded: number; failed: number };
  failures: Array<{ imageId: string; code: string }>;
  results: Record<string, { url: string }>;
}

describe("batch segmentation on the local stack", () => {
  let e2e: E2eStack;
  const images = new Map<string, Uint8Array>();

  beforeAll(async () => {
    e2e = await startE2eStack({
      api: true,
      workers: 2,
      apiEnv: { ALIGNSAM_BATCH_SHARD_SIZE: String(SHARD_SIZE) },
      restart: { maxRestarts: 3, windowMs: 120_000, initialDelayMs: 200, maxDelayMs: 1_000 },
      workerEnv: {
        // A killed shard comes back after 3 s; each first delivery is held a moment so shards overlap.
        ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "3",
        ALIGNSAM_HEARTBEAT_SECONDS: "1",
        ALIGNSAM_WAIT_TIME_SECONDS: "1",
        ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS: "300",
      },
    });
    const prefix = `${datasetPrefix(TENANT, DATASET)}images/`;
    for (let i = 0; i < GOOD; i++) {
      const { image } = await sceneFixture({
        width: SIDE,
        height: SIDE,
        seed: i + 7,
        cx: 0.3 + 0.013 * i,
        cy: 0.6 - 0.01 * i,
        r: 0.2 + 0.004 * i,
      });
      images.set(nameOf(i), image);
      await e2e.c.put(`${prefix}${nameOf(i)}`, image);
    }
    await e2e.c.put(`${prefix}${CORRUPT}`, new TextEncoder().encode("\x89PNG but not really"));
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${e2e.stack.apiUrl}${path}`, init);
    expect(res.status, path).toBeLessThan(300);
    return (await res.json()) as T;
  };
  const text = async (key: string) => Buffer.from((await e2e.c.get(key))!).toString("utf8");

  it("labels the whole set across a worker crash: one COCO file, the same masks, one usage record per image", async () => {
    const accepted = await api<{ batchId: string; images: number; shards: number }>("/v1/batches", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        images: `tenants/${TENANT}/datasets/${DATASET}/`,
        task: "saliency",
        outputs: ["mask", "rle", "polygons", "coco"],
      }),
    });
    const id = accepted.batchId;
    expect([accepted.images, accepted.shards]).toEqual([GOOD + 1, Math.ceil((GOOD + 1) / SHARD_SIZE)]);

    // Kill one worker once shards are under way.
    const seen = await waitFor("a few images done", async () => {
      const v = await api<BatchView>(`/v1/batches/${id}`);
      return v.images.done >= 2 ? v : undefined;
    });
    expect(seen.state).toBe("running");
    const victim = e2e.stack.workers[0];
    victim.child.kill("SIGKILL");
    await victim.exited;
    const afterKill = await api<BatchView>(`/v1/batches/${id}`);
    expect(afterKill.images.done).toBeLessThan(GOOD + 1);

    await waitForState(e2e.c, jobStatusKey(TENANT, id), ["succeeded", "failed"], 120_000);
    const view = await api<BatchView>(`/v1/batches/${id}`);
    expect(view).toMatchObject({
      state: "succeeded",
      images: { total: GOOD + 1, done: GOOD + 1, succeeded: GOOD, failed: 1 },
      failures: [{ imageId: CORRUPT, code: "IMAGE_DECODE" }],
    });
    expect(e2e.logs.some((l) => l.includes(`(pid ${victim.child.pid}) died: signal SIGKILL`))).toBe(true);
    const job = await api<{ kind: string; progress: unknown; summary: unknown }>(`/v1/jobs/${id}`);
    expect(job).toMatchObject({ kind: "batch", summary: { images: GOOD + 1, succeeded: GOOD, failed: 1 } });

    // Exactly one usage record per good image, none for the corrupt one, whatever was redelivered.
    const usage = (await e2e.c.list(usagePrefix(TENANT))).filter((k) => k.includes(`/${id}/`));
    expect(usage.map((k) => k.slice(k.lastIndexOf("/images/") + 8)).sort()).toEqual(
      [...images.keys()].map((n) => `${n}.json`).sort(),
    );

    // One COCO file: every good image once, each annotation the image's own mask, pixel for pixel.
    const coco = CocoInstancesSchema.parse(await (await fetch(view.results["coco.json"].url)).json());
    expect(coco.images.map((i) => i.file_name).sort()).toEqual([...images.keys()].sort());
    expect(coco.categories.map((c) => c.name)).toEqual(["saliency"]);
    const polygonCoco = CocoInstancesSchema.parse(
      await (await fetch(view.results["coco-polygons.json"].url)).json(),
    );
    let annotated = 0;
    for (const entry of coco.images) {
      const rleDoc = rleSchema.parse(
        JSON.parse(await text(batchImageFileKey(TENANT, id, entry.file_name, "rle.json"))),
      );
      const mask = decodeRle(rleDoc);
      const png = await decodeBinaryMaskPng(
        (await e2e.c.get(batchImageFileKey(TENANT, id, entry.file_name, "mask.png")))!,
      );
      expect(png.data, entry.file_name).toEqual(mask.data);
      const anns = coco.annotations.filter((a) => a.image_id === entry.id);
      if (mask.data.every((v) => v === 0)) {
        expect(anns, entry.file_name).toEqual([]);
        continue;
      }
      annotated++;
      expect(anns).toHaveLength(1);
      expect(decodeRle(anns[0].segmentation as typeof rleDoc).data, entry.file_name).toEqual(mask.data);
      const polygons = JSON.parse(
        await text(batchImageFileKey(TENANT, id, entry.file_name, "polygons.json")),
      ) as {
        polygons: number[][];
      };
      expect(
        iou(rasterizePolygons(polygons.polygons, SIDE, SIDE), mask),
        entry.file_name,
      ).toBeGreaterThanOrEqual(0.98);
      const polyAnn = polygonCoco.annotations.find((a) => a.image_id === entry.id)!;
      expect(polyAnn.segmentation).toEqual(polygons.polygons);
    }
    expect(annotated).toBeGreaterThan(GOOD / 2);

    // A few images through a single POST /v1/segment: the same mask.png and rle.json bytes.
    for (const name of [nameOf(0), nameOf(13), nameOf(29)]) {
      const res = await postSegmentForm(e2e.stack.apiUrl!, images.get(name)!, {
        task: "saliency",
        outputs: "mask,rle",
      });
      const { jobId } = (await res.json()) as { jobId: string };
      await waitForState(e2e.c, jobStatusKey(TENANT, jobId), ["succeeded"], 30_000);
      for (const file of ["mask.png", "rle.json"] as const) {
        expect(await e2e.c.get(jobResultKey(TENANT, jobId, file)), `${name} ${file}`).toEqual(
          await e2e.c.get(batchImageFileKey(TENANT, id, name, file)),
        );
      }
    }

    // The archive: both COCO files, every mask, RLE and polygon file, and the failure list.
    const zip = unzipSync(new Uint8Array(await (await fetch(view.results["batch.zip"].url)).arrayBuffer()));
    expect(JSON.parse(Buffer.from(zip["coco.json"]).toString())).toEqual(coco);
    expect(Object.keys(zip).filter((k) => k.startsWith("masks/"))).toHaveLength(GOOD);
    expect(Object.keys(zip).filter((k) => k.startsWith("rle/"))).toHaveLength(GOOD);
    expect(Object.keys(zip).filter((k) => k.startsWith("polygons/"))).toHaveLength(GOOD);
    expect(JSON.parse(Buffer.from(zip["failures.json"]).toString())).toEqual([
      expect.objectContaining({ imageId: CORRUPT, code: "IMAGE_DECODE" }),
    ]);
    expect(zip[`masks/${nameOf(5)}.png`]).toEqual(
      await e2e.c.get(batchImageFileKey(TENANT, id, nameOf(5), "mask.png")),
    );
  }, 240_000);
});
