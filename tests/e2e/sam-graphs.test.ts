/**
 * The genuine MobileSAM encoder + official SAM decoder export (RANDOM weights,
 * ../shared/models/sam-graphs) through the whole service path: a train job, a segment job and a
 * dataset evaluation (eval-shard messages + reduce) on the real local stack (emulator + queue + a
 * worker process started with ALIGNSAM_SAM_MANIFEST, as a deployment would), and `alignsam segment
 * --sam-manifest` on the policy that training stored. The worker keeps the repository's bundled
 * policies, which were trained on the classic backend: on a SAM worker they count as absent, so
 * training compares against no current policy and an untrained task fails with POLICY_NOT_FOUND.
 * The masks mean nothing: the checks are contracts (sizes, model ids, determinism, completion).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EvaluationSummarySchema,
  evaluationPrefix,
  inputKey,
  jobResultKey,
  jobStatusKey,
  PromotionDecisionSchema,
  queuedStatus,
  tenantPolicyPrefix,
} from "@alignsam/core/light";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SAM_GRAPHS_MANIFEST,
  samGraphsMissing,
  writeSamGraphsPackage,
} from "../../packages/core/src/testing/sam-graphs.ts";
import { sceneFixture } from "./fixtures.ts";
import {
  type Clients,
  type E2eStack,
  evaluateThroughQueue,
  putSceneDataset,
  startE2eStack,
  trainThroughQueue,
  waitForState,
} from "./harness.ts";

const missing = samGraphsMissing();
if (missing) console.warn(`sam-graphs end-to-end tests skipped: ${missing}`);

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const CLI = join(ROOT, "packages/core/src/cli/main.ts");
const MODEL_ID = `onnx-sam:${SAM_GRAPHS_MANIFEST.id}@${SAM_GRAPHS_MANIFEST.version}`;
const IMAGES = 3;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ALIGNSAM_TF_BACKEND: "cpu" }, timeout: 240_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe.skipIf(missing !== undefined)(
  `real SAM graphs through the service and the CLI${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let tmp: string;
    let manifestPath: string;
    let e2e: E2eStack;
    let c: Clients;
    let version: string;
    let previousSource: string | undefined;

    beforeAll(async () => {
      tmp = await mkdtemp(join(tmpdir(), "alignsam-sam-graphs-e2e-"));
      manifestPath = await writeSamGraphsPackage(join(tmp, "model"));
      // One worker process on the SAM package, as `ALIGNSAM_SAM_MANIFEST=... npm start` runs it.
      e2e = await startE2eStack({
        api: false,
        workers: 1,
        readyTimeoutMs: 120_000,
        workerEnv: {
          ALIGNSAM_SAM_MANIFEST: manifestPath,
          ALIGNSAM_ONNX_THREADS: "2",
          ALIGNSAM_WAIT_TIME_SECONDS: "1",
          ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "300",
        },
      });
      c = e2e.c;
      await putSceneDataset(c, "sam-discs", "d", IMAGES, (i) => ({
        seed: i + 3,
        cx: 0.35 + 0.1 * i,
        cy: 0.45,
        r: 0.22,
      }));
      const trained = await trainThroughQueue(
        c,
        {
          jobId: "sam-train",
          datasetId: "sam-discs",
          heldOutFraction: 0.34,
          options: { episodes: 1, steps: 3, ppoEpochs: 1, seed: 1 },
        },
        300_000,
      );
      expect(trained.error).toBeUndefined();
      // Too few images for the promotion guard: the candidate is stored, and jobs name its version.
      const decision = PromotionDecisionSchema.parse(
        await c.getJson(jobResultKey("public", "sam-train", "training.json")),
      );
      version = decision.candidateVersion;
      previousSource = decision.previousSource;
    }, 420_000);

    afterAll(async () => {
      await e2e?.stop();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it("starts the worker process on the package: it logs the SAM model it segments with", () => {
      expect(e2e.logs.some((l) => l.includes('"msg":"segmenter"') && l.includes(MODEL_ID))).toBe(true);
    });

    it("treats the bundled classic policy as absent: training compares against none, jobs say how to train", async () => {
      expect(previousSource).toBe("none");
      await c.put(
        inputKey("public", "sam-untrained"),
        (await sceneFixture({ seed: 5, width: 64, height: 48 })).image,
      );
      const jobId = "sam-seg-bundled";
      await c.put(jobStatusKey("public", jobId), JSON.stringify(queuedStatus({ jobId, kind: "segment" })));
      await c.send({ v: 1, type: "segment", jobId, task: "saliency", uploadId: "sam-untrained" });
      const status = await waitForState(c, jobStatusKey("public", jobId), ["succeeded", "failed"], 120_000);
      expect(status.state).toBe("failed");
      expect(status.error?.code).toBe("POLICY_NOT_FOUND");
      expect(status.error?.message).toContain(`no policy for this worker's segmenter onnx-sam/${MODEL_ID}`);
      expect(status.error?.message).toContain("POST /v1/tasks/saliency/trainings");
    }, 180_000);

    it("trains a policy on the real graphs: its card names the ONNX SAM model", async () => {
      expect(version).toBe("sam-train");
      const card = (await c.getJson(`${tenantPolicyPrefix("public", "saliency", version)}card.json`)) as {
        segmenter: { backend: string; modelId: string; embeddingShape: number[] };
      };
      expect(card.segmenter).toMatchObject({ backend: "onnx-sam", modelId: MODEL_ID });
      expect(card.segmenter.embeddingShape).toEqual([256, 64, 64]);
    });

    it("runs segment jobs on the real graphs: mask at the input's size, the model id recorded, byte-equal masks", async () => {
      const { image } = await sceneFixture({ seed: 11, width: 200, height: 150 });
      await c.put(inputKey("public", "sam-scene"), image);
      for (const jobId of ["sam-seg-1", "sam-seg-2"]) {
        await c.put(jobStatusKey("public", jobId), JSON.stringify(queuedStatus({ jobId, kind: "segment" })));
        await c.send({
          v: 1,
          type: "segment",
          jobId,
          task: "saliency",
          uploadId: "sam-scene",
          policyVersion: version,
        });
      }
      const [a, b] = await Promise.all(
        ["sam-seg-1", "sam-seg-2"].map((j) =>
          waitForState(c, jobStatusKey("public", j), ["succeeded", "failed"], 180_000),
        ),
      );
      expect(a.error).toBeUndefined();
      expect(a.state).toBe("succeeded");
      const mask = (await c.get(a.resultKeys["mask.png"]))!;
      const meta = await sharp(mask).metadata();
      expect([meta.width, meta.height]).toEqual([200, 150]);
      const metrics = (await c.getJson(a.resultKeys["metrics.json"])) as { modelId: string };
      expect(metrics.modelId).toBe(MODEL_ID);
      const { steps } = (await c.getJson(a.resultKeys["trajectory.json"])) as {
        steps: { step: number; x: number; y: number; label: number }[];
      };
      // The initial prompts (step 0) and the policy's 3 clicks, inside the image, labelled 0 or 1.
      expect(steps.filter((s) => s.step > 0)).toHaveLength(3);
      for (const s of steps) {
        expect([0, 1]).toContain(s.label);
        expect(s.x >= 0 && s.x <= 200 && s.y >= 0 && s.y <= 150).toBe(true);
      }
      // Greedy segmentation of the same pixels: byte-equal masks from two jobs.
      expect(Buffer.compare(mask, (await c.get(b.resultKeys["mask.png"]))!)).toBe(0);
    }, 240_000);

    it("evaluates a dataset on the real graphs: two shards, one reduce, one summary over every image", async () => {
      const { manifest, statusKey } = await evaluateThroughQueue(c, {
        evalId: "sam-eval",
        jobId: "sam-evaljob",
        datasetId: "sam-discs",
        images: IMAGES,
        shardSize: 2,
        policyVersion: version,
      });
      expect(manifest.shards).toHaveLength(2);
      const status = await waitForState(c, statusKey, ["succeeded", "failed"], 240_000);
      expect(status.error).toBeUndefined();
      expect(status.state).toBe("succeeded");
      const summary = EvaluationSummarySchema.parse(await c.getJson(status.resultKeys["summary.json"]));
      expect(summary).toMatchObject({ images: IMAGES, failed: 0 });
      for (const m of ["MAE", "mIoU"]) expect(Number.isFinite(summary.metrics[m])).toBe(true);
      expect(await c.list(`${evaluationPrefix("public", "sam-eval")}per-image/`)).toHaveLength(IMAGES);
    }, 300_000);

    it("segments with `alignsam segment --sam-manifest` and the stored policy, deterministically", async () => {
      const policyDir = join(tmp, "policy");
      await mkdir(policyDir);
      for (const key of await c.list(tenantPolicyPrefix("public", "saliency", version))) {
        await writeFile(join(policyDir, key.split("/").pop()!), (await c.get(key))!);
      }
      const { image } = await sceneFixture({ seed: 12, width: 180, height: 240 });
      const input = join(tmp, "photo.png");
      await writeFile(input, image);
      const masks: Buffer[] = [];
      for (const out of ["out-1", "out-2"]) {
        const run = await cli(
          "--json",
          "segment",
          input,
          "--task",
          "saliency",
          "--policy",
          policyDir,
          "--sam-manifest",
          manifestPath,
          "--out",
          join(tmp, out),
        );
        expect(run.code, run.stderr).toBe(0);
        const [result] = JSON.parse(run.stdout) as {
          width: number;
          height: number;
          clicks: number;
          files: Record<string, string>;
        }[];
        expect([result.width, result.height]).toEqual([180, 240]);
        expect(result.clicks).toBeGreaterThan(0);
        const mask = await readFile(result.files.mask);
        const meta = await sharp(mask).metadata();
        expect([meta.width, meta.height]).toEqual([180, 240]);
        masks.push(mask);
      }
      expect(Buffer.compare(masks[0], masks[1])).toBe(0);
    }, 300_000);
  },
);
