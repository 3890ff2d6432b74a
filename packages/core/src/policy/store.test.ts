import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { segmentImage } from "../pipeline/segment.ts";
import { createTestingSegmenter, generateSample } from "../pipeline/testing-segmenter.ts";
import { trainPolicy } from "../pipeline/train.ts";
import { createS3Client } from "../storage/s3-client.ts";
import { defaultTaskRegistry } from "../tasks/registry.ts";
import { PolicyCardSchema } from "./card.ts";
import type { Policy } from "./policy.ts";
import { encodePolicy, loadPolicy, loadPolicyFiles, savePolicy } from "./store.ts";

const segmenter = createTestingSegmenter();
let dir: string;
let policy: Policy;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "alignsam-policy-"));
  const train = [generateSample(1), generateSample(2)];
  policy = await trainPolicy(train, defaultTaskRegistry.get("blur"), {
    segmenter,
    seed: 3,
    steps: 3,
    epochs: 1,
    ppoEpochs: 2,
    srmMaxEpochs: 2,
  });
});

afterAll(async () => {
  policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("policy artifacts", () => {
  it("round-trips through a folder and segments identically after loading", async () => {
    const folder = path.join(dir, "blur", "v1");
    await savePolicy(policy, folder);
    const card = PolicyCardSchema.parse(JSON.parse(await readFile(path.join(folder, "card.json"), "utf8")));
    expect(card.task.name).toBe("blur");
    expect(card.trainingSet.count).toBe(2);
    expect(card.segmenter.backend).toBe("testing");
    const loaded = await loadPolicy(folder, { segmenterInfo: segmenter.info });
    expect(loaded.card).toEqual(policy.card);
    expect(loaded.featureStats).toEqual(policy.featureStats);
    const image = generateSample(9).image;
    const a = await segmentImage(image, policy, { segmenter });
    const b = await segmentImage(image, loaded, { segmenter });
    expect(b.trajectory).toEqual(a.trajectory);
    expect(b.mask.data).toEqual(a.mask.data);
    loaded.dispose();
  });

  it("refuses a policy made for another backend with POLICY_INCOMPATIBLE naming both", async () => {
    const folder = path.join(dir, "blur", "v2");
    await savePolicy(policy, folder);
    const other = createTestingSegmenter({ modelId: "testing-other" });
    try {
      await loadPolicy(folder, { segmenterInfo: other.info });
      expect.unreachable();
    } catch (e) {
      expect(isAlignSamError(e, "POLICY_INCOMPATIBLE")).toBe(true);
      expect((e as Error).message).toContain("testing-region-grow-v1");
      expect((e as Error).message).toContain("testing-other");
    }
    await expect(segmentImage(generateSample(1).image, policy, { segmenter: other })).rejects.toSatisfy((e) =>
      isAlignSamError(e, "POLICY_INCOMPATIBLE"),
    );
  });

  it("reports a missing policy as POLICY_NOT_FOUND and a foreign card as POLICY_INCOMPATIBLE", async () => {
    await expect(loadPolicy(path.join(dir, "nothing-here"))).rejects.toSatisfy((e) =>
      isAlignSamError(e, "POLICY_NOT_FOUND"),
    );
    const folder = path.join(dir, "bad");
    await savePolicy(policy, folder);
    await writeFile(path.join(folder, "card.json"), JSON.stringify({ formatVersion: 99 }));
    await expect(loadPolicy(folder)).rejects.toSatisfy((e) => isAlignSamError(e, "POLICY_INCOMPATIBLE"));
  });

  it("refuses a version-1 policy (10 x 10 SRM) with the command that retrains it", async () => {
    const folder = path.join(dir, "old");
    await savePolicy(policy, folder);
    const card = JSON.parse(await readFile(path.join(folder, "card.json"), "utf8"));
    await writeFile(path.join(folder, "card.json"), JSON.stringify({ ...card, formatVersion: 1 }));
    await expect(loadPolicy(folder)).rejects.toSatisfy(
      (e) =>
        isAlignSamError(e, "POLICY_INCOMPATIBLE") &&
        (e as Error).message.includes("format version 1") &&
        (e as Error).message.includes("alignsam -- train --task blur"),
    );
  });

  it("round-trips through s3:// (local S3 emulator) and reports a missing prefix as POLICY_NOT_FOUND", async () => {
    const { startFauxqs } = await import("fauxqs");
    const server = await startFauxqs({ port: 0, logger: false });
    const s3Client = createS3Client({
      endpoint: `http://127.0.0.1:${server.port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    try {
      server.createBucket("policies");
      await savePolicy(policy, "s3://policies/blur/v7/", { s3Client });
      const loaded = await loadPolicy("s3://policies/blur/v7", { s3Client, segmenterInfo: segmenter.info });
      expect(loaded.card).toEqual(policy.card);
      const image = generateSample(4).image;
      expect((await segmentImage(image, loaded, { segmenter })).trajectory).toEqual(
        (await segmentImage(image, policy, { segmenter })).trajectory,
      );
      loaded.dispose();
      await expect(loadPolicy("s3://policies/blur/v8", { s3Client })).rejects.toSatisfy((e) =>
        isAlignSamError(e, "POLICY_NOT_FOUND"),
      );
    } finally {
      s3Client.destroy();
      await server.stop();
    }
  });

  it("loads from its files in memory exactly as from the folder they were saved to", async () => {
    const folder = path.join(dir, "bytes");
    await savePolicy(policy, folder);
    const files = await encodePolicy(policy);
    // The same bytes savePolicy writes, card.json last (a folder with a card is complete).
    expect([...files.keys()]).toEqual(["weights.bin", "weights.json", "card.json"]);
    for (const [name, bytes] of files)
      expect(new Uint8Array(await readFile(path.join(folder, name)))).toEqual(bytes);
    const loaded = await loadPolicyFiles(files, "memory:blur", { segmenterInfo: segmenter.info });
    const image = generateSample(5).image;
    expect((await segmentImage(image, loaded, { segmenter })).mask.data).toEqual(
      (await segmentImage(image, policy, { segmenter })).mask.data,
    );
    loaded.dispose();
    const noWeights = new Map([["card.json", files.get("card.json")!]]);
    await expect(loadPolicyFiles(noWeights, "memory:blur")).rejects.toSatisfy(
      (e) => isAlignSamError(e, "POLICY_NOT_FOUND") && (e as Error).message.includes("memory:blur"),
    );
  });
});
