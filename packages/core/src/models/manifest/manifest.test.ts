import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlignSamError, isAlignSamError } from "../../errors.ts";
import { writeSamFixture } from "../../testing/sam-fixtures.ts";
import { inspectOnnxModel } from "./inspect.ts";
import { loadManifest, modelFilePath } from "./load.ts";
import { checkSessionAgainstSpec, openSession } from "./session.ts";

let root: string;

async function fixture(name: string, edit?: (m: Record<string, unknown>) => void): Promise<string> {
  const dir = join(root, name);
  await writeSamFixture(dir, { editManifest: edit });
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<AlignSamError> {
  try {
    await p;
  } catch (e) {
    if (isAlignSamError(e)) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

type Decoder = { inputs: Record<string, { name: string; dtype: string; shape: unknown[] }> };
const decoderOf = (m: Record<string, unknown>) => m.decoder as Decoder;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "manifest-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("loadManifest (local)", () => {
  it("loads a folder, a manifest.json path or a file:// URI, with checksums verified", async () => {
    const dir = await fixture("ok");
    for (const uri of [dir, join(dir, "manifest.json"), pathToFileURL(dir).href]) {
      const loaded = await loadManifest(uri);
      expect(loaded.manifest.kind).toBe("sam");
      expect(loaded.manifest.id).toBe("sam-fixture");
      expect(modelFilePath(loaded, "decoder.onnx")).toBe(join(dir, "decoder.onnx"));
    }
  });

  it("refuses a file whose bytes changed with MODEL_CHECKSUM naming the file", async () => {
    const dir = await fixture("tampered");
    await appendFile(join(dir, "decoder.onnx"), new Uint8Array([0]));
    const err = await rejection(loadManifest(dir));
    expect(err.code).toBe("MODEL_CHECKSUM");
    expect(err.message).toContain("decoder.onnx");
  });

  it("refuses an unknown kind listing the valid kinds, and a used-but-unlisted file", async () => {
    const bad = await fixture("bad-kind", (m) => {
      m.kind = "sam-encoder";
    });
    const err = await rejection(loadManifest(bad));
    expect(err.code).toBe("MODEL_MANIFEST");
    expect(err.message).toContain("expected one of: sam, sam-split, clip-surgery");
    const unlisted = await fixture("unlisted", (m) => {
      m.files = (m.files as { path: string }[]).filter((f) => f.path !== "decoder.onnx");
    });
    const err2 = await rejection(loadManifest(unlisted));
    expect(err2.code).toBe("MODEL_MANIFEST");
    expect(err2.message).toContain('"decoder.onnx" is used but not listed');
  });

  it("refuses an encoder input size that disagrees with inputSize", async () => {
    const dir = await fixture("size", (m) => {
      m.inputSize = 512;
    });
    const err = await rejection(loadManifest(dir));
    expect(err.code).toBe("MODEL_MANIFEST");
    expect(err.message).toContain("image input 'image' has shape [1,3,1024,1024], expected [1,3,512,512]");
  });

  it("refuses paths that climb out of the model folder", async () => {
    const dir = await fixture("climb", (m) => {
      (m.files as { path: string }[])[0].path = "../encoder.onnx";
    });
    expect((await rejection(loadManifest(dir))).code).toBe("MODEL_MANIFEST");
  });

  it("refuses a missing model folder with MODEL_MANIFEST", async () => {
    expect((await rejection(loadManifest(join(root, "nope")))).code).toBe("MODEL_MANIFEST");
  });
});

describe("openSession", () => {
  it("opens a session whose graph matches the manifest", async () => {
    const loaded = await loadManifest(await fixture("session-ok"));
    if (loaded.manifest.kind !== "sam") throw new Error("fixture kind");
    const { session, provider } = await openSession(loaded, loaded.manifest.decoder, "decoder", {
      executionProviders: ["cpu"],
    });
    expect(provider).toBe("cpu");
    expect(session.inputNames).toContain("point_labels");
    await session.release();
  });

  it("refuses a wrong input name with MODEL_MISMATCH naming the tensor and the model's inputs", async () => {
    const loaded = await loadManifest(
      await fixture("wrong-name", (m) => {
        decoderOf(m).inputs.pointLabels.name = "point_label";
      }),
    );
    if (loaded.manifest.kind !== "sam") throw new Error("fixture kind");
    const err = await rejection(openSession(loaded, loaded.manifest.decoder, "decoder"));
    expect(err.code).toBe("MODEL_MISMATCH");
    expect(err.message).toContain("decoder input 'point_label'");
    expect(err.message).toContain("point_labels");
  });

  it("refuses a wrong dtype or shape, saying what the manifest says and what the model has", async () => {
    const dtype = await loadManifest(
      await fixture("wrong-dtype", (m) => {
        decoderOf(m).inputs.pointLabels.dtype = "int64";
      }),
    );
    if (dtype.manifest.kind !== "sam") throw new Error("fixture kind");
    const e1 = await rejection(openSession(dtype, dtype.manifest.decoder, "decoder"));
    expect(e1.code).toBe("MODEL_MISMATCH");
    expect(e1.message).toBe(
      "decoder input 'point_labels': manifest says int64 [1,N], model has float32 [1,num_points] (dtype differs)",
    );
    const shape = await loadManifest(
      await fixture("wrong-shape", (m) => {
        decoderOf(m).inputs.imageEmbeddings.shape = [1, 256, 32, 32];
      }),
    );
    if (shape.manifest.kind !== "sam") throw new Error("fixture kind");
    const e2 = await rejection(openSession(shape, shape.manifest.decoder, "decoder"));
    expect(e2.message).toBe(
      "decoder input 'image_embeddings': manifest says float32 [1,256,32,32], model has float32 [1,256,64,64] (dimension 2 differs)",
    );
  });

  it("refuses a manifest that calls a fixed model input dynamic, and a model input it does not describe", async () => {
    const loaded = await loadManifest(await fixture("dyn"));
    if (loaded.manifest.kind !== "sam") throw new Error("fixture kind");
    const session = await ort.InferenceSession.create(modelFilePath(loaded, "decoder.onnx"));
    const spec = loaded.manifest.decoder;
    const dynamic = {
      ...spec,
      inputs: { ...spec.inputs, maskInput: { ...spec.inputs.maskInput, shape: [1, 1, "H", 256] } },
    };
    expect(() => checkSessionAgainstSpec("decoder", dynamic, session)).toThrow(
      /mask_input'.*dimension 2 differs/,
    );
    const { origImSize: _, ...fewer } = spec.inputs;
    expect(() => checkSessionAgainstSpec("decoder", { ...spec, inputs: fewer }, session)).toThrow(
      "decoder input 'orig_im_size': the model needs it but the manifest does not describe it",
    );
    await session.release();
  });

  it("refuses an unreadable model file with MODEL_MISMATCH", async () => {
    const dir = await fixture("garbage");
    await writeFile(join(dir, "encoder.onnx"), "not an onnx model");
    const loaded = await loadManifest(dir, { verify: false });
    if (loaded.manifest.kind !== "sam") throw new Error("fixture kind");
    const err = await rejection(openSession(loaded, loaded.manifest.encoder, "encoder"));
    expect(err.code).toBe("MODEL_MISMATCH");
    expect(err.message).toContain("encoder (encoder.onnx) could not be loaded");
  });
});

describe("inspectOnnxModel", () => {
  it("lists an export's real tensors as manifest specs, dynamic dimensions by name", async () => {
    const dir = await fixture("inspect");
    const { inputs, outputs } = await inspectOnnxModel(join(dir, "decoder.onnx"));
    expect(inputs.find((s) => s.name === "point_coords")).toEqual({
      name: "point_coords",
      dtype: "float32",
      shape: [1, "num_points", 2],
    });
    expect(outputs.map((s) => s.name)).toEqual(["masks", "iou_predictions", "low_res_masks"]);
  });
});

describe("loadManifest (s3://, through the local S3 emulator)", () => {
  it("downloads into the cache once, verifies, and re-downloads a corrupted cached file", async () => {
    const { startFauxqs } = await import("fauxqs");
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    const { createS3Client } = await import("../../storage/s3-client.ts");
    const server = await startFauxqs({ port: 0, logger: false });
    try {
      const client = createS3Client({
        endpoint: `http://127.0.0.1:${server.port}`,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      server.createBucket("models");
      const src = await fixture("s3-src");
      for (const f of ["manifest.json", "encoder.onnx", "decoder.onnx"]) {
        const body = await readFile(join(src, f));
        await client.send(new PutObjectCommand({ Bucket: "models", Key: `sam/v1/${f}`, Body: body }));
      }
      const cacheDir = join(root, "cache");
      const loaded = await loadManifest("s3://models/sam/v1/", { s3Client: client, cacheDir });
      expect(loaded.dir).toBe(join(cacheDir, "models", "sam", "v1"));
      expect(await readFile(modelFilePath(loaded, "decoder.onnx"))).toEqual(
        await readFile(join(src, "decoder.onnx")),
      );

      // A valid cached copy is kept even when the bucket's object changes...
      await client.send(
        new PutObjectCommand({ Bucket: "models", Key: "sam/v1/encoder.onnx", Body: "garbage" }),
      );
      await loadManifest("s3://models/sam/v1", { s3Client: client, cacheDir });
      // ...but a corrupted cached copy is fetched again (and now fails the checksum).
      await appendFile(modelFilePath(loaded, "encoder.onnx"), "x");
      const err = await rejection(loadManifest("s3://models/sam/v1", { s3Client: client, cacheDir }));
      expect(err.code).toBe("MODEL_CHECKSUM");
      expect(err.message).toContain("encoder.onnx");

      const missing = await rejection(loadManifest("s3://models/absent", { s3Client: client, cacheDir }));
      expect(missing.code).toBe("MODEL_MANIFEST");
      expect(missing.message).toContain("could not download s3://models/absent/manifest.json");
      client.destroy();
    } finally {
      await server.stop();
    }
  });
});
