/**
 * The curl examples of docs/service.md, run exactly as written against the real local stack (API,
 * worker, emulator on free ports): only `http://localhost:3000` is replaced by the stack's API URL.
 * Every block preceded by `<!-- example: NAME -->` runs, in order, in one bash session, in a folder
 * holding a generated `scene.png`.
 */
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { jobResultKey } from "@alignsam/core/light";
import { unzipSync } from "fflate";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ANONYMOUS_TENANT, REPO_ROOT } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import { putDocsDiscs, useE2eStack } from "./harness.ts";

const DOC = resolve(REPO_ROOT, "docs/service.md");
const README = resolve(REPO_ROOT, "README.md");
const DOC_BASE_URL = "http://localhost:3000";
const WEBHOOK_SECRET = "readme-webhook-secret-0123456789";
const DATASET_SIZE = 6;
const EXPECTED_EXAMPLES = [
  "health",
  "retrain",
  "segment",
  "upload",
  "evaluate",
  "usage",
  "batch",
  "readme-segment",
];

const missingTools = ["curl", "jq", "openssl"].filter(
  (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0,
);

/** The `example`-marked shell blocks of a Markdown page, by name, in page order. */
function extractExamples(markdown: string): Array<{ name: string; code: string }> {
  const found: Array<{ name: string; code: string }> = [];
  const pattern = /<!-- example: ([\w-]+) -->\s*```sh\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(pattern)) found.push({ name: m[1], code: m[2] });
  return found;
}

function runBash(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => {
    execFile(
      "bash",
      ["-c", script],
      { cwd, env, timeout: 80_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => ok({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(missingTools.length > 0)(
  `docs/service.md and README examples on the local stack${missingTools.length ? ` (skipped: ${missingTools.join(", ")} not installed)` : ""}`,
  () => {
    const e2e = useE2eStack({
      api: true,
      workers: 1,
      apiEnv: { ALIGNSAM_WEBHOOK_SECRET: WEBHOOK_SECRET, ALIGNSAM_EVALUATION_SHARD_SIZE: "2" },
      workerEnv: { ALIGNSAM_WAIT_TIME_SECONDS: "1" },
    });
    let cwd: string;

    beforeAll(async () => {
      // The labelled set the page tells the reader to upload (with the AWS CLI) before retraining.
      await putDocsDiscs(e2e.c, DATASET_SIZE, (i) => ({
        seed: i + 11,
        cx: 0.3 + 0.07 * i,
        cy: 0.5,
        r: 0.2 + 0.02 * i,
      }));
      cwd = await mkdtemp(join(tmpdir(), "alignsam-readme-"));
      await writeFile(join(cwd, "scene.png"), (await sceneFixture({ seed: 99 })).image);
    });

    afterAll(async () => {
      if (cwd) await rm(cwd, { recursive: true, force: true });
    });

    it("runs every example of the page as written and gets what the page promises", async () => {
      // The page's examples, then the README's (run last: they reuse scene.png and the trained policy).
      const examples = [DOC, README].flatMap((page) => extractExamples(readFileSync(page, "utf8")));
      expect(examples.map((e) => e.name)).toEqual(EXPECTED_EXAMPLES);
      const script = [
        "set -euo pipefail",
        ...examples.flatMap((e) => [
          `echo "@@example ${e.name}"`,
          e.code.replaceAll(DOC_BASE_URL, e2e.stack.apiUrl!),
        ]),
      ].join("\n");
      const run = await runBash(script, cwd, {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: cwd,
        ALIGNSAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const out = Object.fromEntries(
        run.stdout
          .split(/^@@example /m)
          .filter(Boolean)
          .map((chunk) => [chunk.slice(0, chunk.indexOf("\n")), chunk.slice(chunk.indexOf("\n") + 1)]),
      ) as Record<string, string>;
      expect(Object.keys(out)).toEqual(EXPECTED_EXAMPLES);

      expect(out.health).toContain('{"ok":true}');
      expect(out.health.split("\n")).toContain("saliency");

      expect(out.retrain).toMatch(/"state": "succeeded"/);
      // 6 pairs train, but the promotion guard needs 20 held-out images: the bundled policy keeps serving.
      expect(out.retrain).toMatch(/"promoted": false/);
      expect(out.retrain).toMatch(/at least 20/);
      expect(out.retrain).toMatch(/"source": "bundled"/);

      expect(out.segment).toMatch(/"state": "succeeded"/);
      const jobId = /"jobId": "([^"]+)"/.exec(out.segment)?.[1];
      expect(jobId).toBeDefined();
      for (const name of ["mask.png", "overlay.png", "rle.json", "trajectory.json"]) {
        expect(out.segment).toContain(`"${name}"`);
      }
      // The mask fetched through the presigned URL is the job's mask, byte for byte.
      const downloaded = new Uint8Array(await readFile(join(cwd, "mask.png")));
      expect(downloaded).toEqual(await e2e.c.get(jobResultKey(LOCAL_ANONYMOUS_TENANT, jobId!, "mask.png")));
      const meta = await sharp(downloaded).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["png", 160, 120]);

      expect(out.upload).toMatch(/"state": "succeeded"/);
      const uploadResults = JSON.parse(out.upload.slice(0, out.upload.lastIndexOf("}") + 1)).results;
      expect(uploadResults).toEqual(["mask.png", "rle.json"]);
      expect(out.upload.trim().split("\n").at(-1)).toBe("[120,160]");

      expect(out.evaluate).toMatch(/"state": "succeeded"/);
      expect(out.evaluate).toMatch(/"done": 3,\s*"total": 3/);
      expect(out.evaluate).toContain("# Evaluation");
      expect(out.evaluate).toContain(`${DATASET_SIZE} images scored, 0 failed`);

      // One training run, two segmented images (segment, upload), one record per evaluated image.
      expect(JSON.parse(out.usage)).toEqual({
        tenant: LOCAL_ANONYMOUS_TENANT,
        train: 1,
        segmented: 2,
        evaluated: DATASET_SIZE,
      });

      // The batch: both uploads segmented, the archive downloaded holds the COCO file naming them.
      expect(out.batch).toMatch(/"state": "succeeded"/);
      expect(out.batch).toMatch(/"total": 2,\s*"done": 2,\s*"succeeded": 2,\s*"failed": 0/);
      const archive = unzipSync(new Uint8Array(await readFile(join(cwd, "batch.zip"))));
      const coco = JSON.parse(Buffer.from(archive["coco.json"]).toString()) as {
        images: { file_name: string }[];
      };
      expect(coco.images.map((i) => i.file_name)).toEqual(["a.png", "b.png"]);
      expect(Object.keys(archive).filter((k) => k.startsWith("masks/"))).toHaveLength(2);

      expect(out["readme-segment"]).toContain('{"ok":true}');
      const readmeMask = await sharp(await readFile(join(cwd, "mask.png"))).metadata();
      expect([readmeMask.format, readmeMask.width, readmeMask.height]).toEqual(["png", 160, 120]);
    }, 120_000);
  },
);
