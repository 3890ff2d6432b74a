/**
 * A labelled dataset in one upload, on the real local stack (emulator, API process, a worker
 * process): a generated 50-pair zip with a few bad entries goes through POST /v1/datasets, the
 * worker unpacks and checks it, and GET /v1/datasets/{id} shows the counts and per-file report;
 * the same 50 pairs as a folder go through `alignsam datasets upload`, which packs them itself.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { datasetPrefix, tenantPrefix } from "@alignsam/core/light";
import { type Zippable, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ANONYMOUS_TENANT } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import { type E2eStack, startE2eStack, waitFor } from "./harness.ts";

const PAIRS = 50;

interface DatasetView {
  datasetId: string;
  state: string;
  counts?: { pairs: number; refused: number };
  report?: { ids: string[]; files: { path: string; code: string }[] };
}

describe("dataset upload on the local stack", () => {
  let e2e: E2eStack;
  const scenes: { image: Uint8Array; mask: Uint8Array }[] = [];

  beforeAll(async () => {
    e2e = await startE2eStack({
      api: true,
      workers: 1,
      workerEnv: { ALIGNSAM_WAIT_TIME_SECONDS: "1" },
    });
    for (let i = 0; i < PAIRS; i++)
      scenes.push(await sceneFixture({ seed: i + 1, cx: 0.3 + (i % 5) * 0.1, r: 0.2 }));
  });
  afterAll(() => e2e?.stop());

  const waitForDataset = (id: string) =>
    waitFor(
      `dataset ${id} to finish`,
      async () => {
        const view = (await (await fetch(`${e2e.stack.apiUrl}/v1/datasets/${id}`)).json()) as DatasetView;
        return view.state === "succeeded" || view.state === "failed" ? view : undefined;
      },
      60_000,
    );

  it("imports 50 generated pairs from one zip and reports the bad entries per file", async () => {
    const files: Zippable = {};
    scenes.forEach((s, i) => {
      files[`images/s${i}.png`] = s.image;
      files[`masks/s${i}.png`] = s.mask;
    });
    files["../outside.png"] = scenes[0].image;
    files["images/odd.png"] = scenes[0].image;
    files["masks/odd.png"] = (await sceneFixture({ width: 80, height: 60 })).mask;
    const before = new Set(await e2e.c.list(""));
    const form = new FormData();
    form.append("archive", new File([zipSync(files)], "set.zip"));
    form.append("name", "discs-50");
    const res = await fetch(`${e2e.stack.apiUrl}/v1/datasets`, { method: "POST", body: form });
    expect(res.status).toBe(202);
    const { datasetId } = (await res.json()) as { datasetId: string };

    const view = await waitForDataset(datasetId);
    expect(view.state).toBe("succeeded");
    expect(view.counts).toMatchObject({ pairs: PAIRS, refused: 2 });
    expect(view.report?.files).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "../outside.png", code: "PATH_UNSAFE" }),
        expect.objectContaining({ path: "masks/odd.png", code: "SIZE_MISMATCH" }),
      ]),
    );
    const prefix = datasetPrefix(LOCAL_ANONYMOUS_TENANT, datasetId);
    expect(await e2e.c.list(`${prefix}images/`)).toHaveLength(PAIRS);
    // Everything written lies in the tenant's prefix: its input, the job, the dataset.
    const written = (await e2e.c.list("")).filter((k) => !before.has(k));
    expect(written.filter((k) => !k.startsWith(tenantPrefix(LOCAL_ANONYMOUS_TENANT)))).toEqual([]);
    expect(written.filter((k) => k.includes("outside"))).toEqual([]);

    const list = (await (await fetch(`${e2e.stack.apiUrl}/v1/datasets`)).json()) as {
      datasets: DatasetView[];
    };
    expect(list.datasets.map((d) => d.datasetId)).toContain(datasetId);
  });

  it("uploads a folder with `alignsam datasets upload`, which packs it and prints the report", async () => {
    const dir = await mkdtemp(join(tmpdir(), "alignsam-upload-"));
    try {
      await mkdir(join(dir, "images"));
      await mkdir(join(dir, "masks"));
      for (const [i, s] of scenes.entries()) {
        await writeFile(join(dir, "images", `s${i}.png`), s.image);
        await writeFile(join(dir, "masks", `s${i}.png`), s.mask);
      }
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "packages/core/src/cli/main.ts",
          "--json",
          "datasets",
          "upload",
          dir,
          "--url",
          String(e2e.stack.apiUrl),
        ],
        { cwd: join(import.meta.dirname, "..", ".."), timeout: 90_000 },
      );
      const view = JSON.parse(stdout) as DatasetView;
      expect(view.state).toBe("succeeded");
      expect(view.counts?.pairs).toBe(PAIRS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
