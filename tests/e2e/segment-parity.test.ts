/**
 * The service and the library agree: the mask a segment job writes (through the API, the queue and a
 * worker process) is byte-for-byte the mask `segmentImage` of @alignsam/core computes in this process
 * from the same image with the same stored policy, greedy and seeded-sampled alike.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobStatusKey, tenantPolicyPrefix } from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPolicyModels } from "../../packages/core/src/evaluation/policy-source.ts";
import { decodeImage } from "../../packages/core/src/image/decode.ts";
import { encodeMaskPng } from "../../packages/core/src/mask/png.ts";
import { encodeRle } from "../../packages/core/src/mask/rle.ts";
import { createClassicSegmenter } from "../../packages/core/src/models/classic/segmenter.ts";
import { segmentImage } from "../../packages/core/src/pipeline/index.ts";
import { PolicyCardSchema } from "../../packages/core/src/policy/card.ts";
import { loadPolicy } from "../../packages/core/src/policy/index.ts";
import { sceneFixture } from "./fixtures.ts";
import { postSegmentForm, putSceneDataset, trainThroughQueue, useE2eStack, waitForState } from "./harness.ts";

interface JobView {
  state: string;
  error?: unknown;
  results: Record<string, { url: string }>;
}

describe("segment job parity with the core pipeline", () => {
  const e2e = useE2eStack({
    api: true,
    workers: 1,
    workerEnv: { ALIGNSAM_WAIT_TIME_SECONDS: "1" },
    anonymousTenant: "public", // the tenant its status reads below
  });
  let policyDir: string;

  beforeAll(async () => {
    await putSceneDataset(e2e.c, "parity", "p", 5, (i) => ({
      seed: i + 21,
      cx: 0.35 + 0.07 * i,
      cy: 0.5,
      r: 0.22 + 0.015 * i,
    }));
    // A policy trained by the service itself, then fetched from S3 for the in-process run.
    const trained = await trainThroughQueue(e2e.c, {
      jobId: "parity-train",
      datasetId: "parity",
      heldOutFraction: 0.4,
      options: { episodes: 1, steps: 4, ppoEpochs: 2, seed: 3 },
    });
    expect(trained.error).toBeUndefined();
    // 5 pairs are too few for the promotion guard: the run stores the tenant's version without
    // promoting it, and the API requests below name it.
    policyDir = await mkdtemp(join(tmpdir(), "alignsam-parity-"));
    const prefix = tenantPolicyPrefix("public", "saliency", "parity-train");
    for (const key of await e2e.c.list(prefix)) {
      await writeFile(join(policyDir, key.slice(prefix.length)), (await e2e.c.get(key))!);
    }
  });

  afterAll(async () => {
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  async function segmentThroughApi(image: Uint8Array, fields: Record<string, string>): Promise<JobView> {
    const posted = await postSegmentForm(e2e.stack.apiUrl!, image, {
      ...fields,
      policyVersion: "parity-train",
    });
    expect(posted.status).toBe(202);
    const { jobId } = (await posted.json()) as { jobId: string };
    await waitForState(e2e.c, jobStatusKey("public", jobId), ["succeeded", "failed"], 30_000);
    return (await (await fetch(`${e2e.stack.apiUrl}/v1/jobs/${jobId}`)).json()) as JobView;
  }

  const download = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

  const cases: Array<{
    name: string;
    fields: Record<string, string>;
    options: { greedy?: boolean; seed?: number; steps?: number };
  }> = [
    { name: "greedy, the policy's T", fields: { task: "saliency" }, options: {} },
    {
      name: "sampled with a seed, T = 6",
      fields: { task: "saliency", greedy: "false", seed: "7", steps: "6" },
      options: { greedy: false, seed: 7, steps: 6 },
    },
  ];
  it.each(cases)("writes the mask and RLE segmentImage gives ($name)", async ({ fields, options }) => {
    const { image } = await sceneFixture({ seed: 77, cx: 0.45, cy: 0.55, r: 0.27 });
    const job = await segmentThroughApi(image, fields);
    expect(job.error).toBeUndefined();
    expect(job.state).toBe("succeeded");

    // The service trains on the encoder of the policy it starts from (saliency: combined); run the same.
    const card = PolicyCardSchema.parse(JSON.parse(await readFile(join(policyDir, "card.json"), "utf8")));
    const { segmenter } = await openPolicyModels(card.task, card, createClassicSegmenter());
    const policy = await loadPolicy(policyDir, { segmenterInfo: segmenter.info });
    const local = await segmentImage(await decodeImage(image), policy, {
      segmenter,
      prior: "none",
      greedy: true,
      seed: 0,
      ...options,
    });
    const served = await download(job.results["mask.png"].url);
    expect(served).toEqual(new Uint8Array(await encodeMaskPng(local.mask)));
    const rle = JSON.parse(Buffer.from(await download(job.results["rle.json"].url)).toString());
    expect(rle).toEqual(JSON.parse(JSON.stringify(encodeRle(local.mask))));
    // A real segmentation, not an empty or full frame.
    const area = local.mask.data.reduce((n, v) => n + v, 0);
    expect(area).toBeGreaterThan(0);
    expect(area).toBeLessThan(local.mask.data.length);
  });
});
