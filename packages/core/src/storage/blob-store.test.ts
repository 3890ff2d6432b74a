import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobStore, getJson } from "./blob-store.ts";
import { isDependencyOutage, isNotFound, isPreconditionFailed } from "./errors.ts";
import { createFsBlobStore } from "./fs-store.ts";
import { openBlobStore } from "./open.ts";
import { withRetry } from "./retry.ts";
import { createS3Client } from "./s3-client.ts";
import { createS3BlobStore } from "./s3-store.ts";

let root: string;
let server: { port: number; createBucket(name: string): void; stop(): Promise<void> };
let client: ReturnType<typeof createS3Client>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "alignsam-blob-"));
  const { startFauxqs } = await import("fauxqs");
  server = await startFauxqs({ port: 0, logger: false });
  server.createBucket("blobs");
  client = createS3Client({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

const adapters: [string, () => Promise<BlobStore>][] = [
  ["S3 (emulator)", async () => createS3BlobStore({ client, bucket: "blobs", prefix: "root/p" })],
  ["a folder", async () => createFsBlobStore(path.join(root, "fs"))],
];

describe.each(adapters)("the blob store on %s", (_, open) => {
  let store: BlobStore;
  beforeAll(async () => {
    store = await open();
    for (const k of ["a/1", "a/2", "a/3", "a/x/4", "b/5"])
      await store.put(k, k, { contentType: "text/plain" });
  });

  it("reads back what it wrote, and answers undefined / false for a missing key", async () => {
    const got = await store.get("a/2");
    expect(new TextDecoder().decode(got?.bytes)).toBe("a/2");
    expect(await store.exists("a/2")).toBe(true);
    expect(await store.get("a/missing")).toBeUndefined();
    expect(await store.exists("a/missing")).toBe(false);
    await store.put("doc.json", JSON.stringify({ n: 1 }));
    expect(await getJson(store, "doc.json", { parse: (v) => v as { n: number } })).toEqual({ n: 1 });
    expect(await getJson(store, "none.json", { parse: (v) => v })).toBeUndefined();
  });

  it("refuses an object over maxBytes before reading it", async () => {
    await expect(store.get("a/1", { maxBytes: 2 })).rejects.toThrow(RangeError);
  });

  it("lists keys under a prefix in order, between bounds and up to a limit", async () => {
    expect(await store.list("a/")).toEqual(["a/1", "a/2", "a/3", "a/x/4"]);
    expect(await store.list("a/", { startAfter: "a/1", endBefore: "a/x" })).toEqual(["a/2", "a/3"]);
    expect(await store.list("a/", { limit: 2 })).toEqual(["a/1", "a/2"]);
    expect(await store.list("c/")).toEqual([]);
    expect(await store.listFolders("a/")).toEqual(["a/x/"]);
    expect(await store.listFolders("")).toEqual(["a/", "b/"]);
  });

  it("deletes idempotently and downloads to a file", async () => {
    const dest = path.join(root, "downloads", _.replace(/\W/g, ""), "five");
    await store.download("b/5", dest);
    expect(await readFile(dest, "utf8")).toBe("b/5");
    await store.delete("b/5");
    await store.delete("b/5");
    expect(await store.exists("b/5")).toBe(false);
    const err = await store.download("b/5", dest).catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });
});

describe("openBlobStore", () => {
  it("opens s3:// locations on S3 under their prefix and anything else as a folder", async () => {
    const s3 = await openBlobStore("s3://blobs/opened/", { s3Client: client });
    await s3.put("k", "v");
    expect(s3.location).toBe("s3://blobs/opened");
    expect(await createS3BlobStore({ client, bucket: "blobs" }).exists("opened/k")).toBe(true);
    const folder = await openBlobStore(path.join(root, "opened"));
    await folder.put("k", "v");
    expect(await readFile(path.join(root, "opened", "k"), "utf8")).toBe("v");
  });

  it("refuses a key that would leave a folder store", async () => {
    const folder = createFsBlobStore(path.join(root, "guarded"));
    await expect(folder.put("../escape", "x")).rejects.toThrow(/not a relative key/);
  });

  it("refuses an overwrite with ifNoneMatch as a failed precondition", async () => {
    const folder = createFsBlobStore(path.join(root, "once"));
    await folder.put("k", "first", { ifNoneMatch: true });
    const err = await folder.put("k", "second", { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(isPreconditionFailed(err)).toBe(true);
    expect(new TextDecoder().decode((await folder.get("k"))?.bytes)).toBe("first");
  });
});

const serverFault = () =>
  new S3ServiceException({ name: "InternalError", $fault: "server", $metadata: { httpStatusCode: 500 } });

describe("the one classification of storage failures", () => {
  it("calls connection failures, timeouts, throttling and 5xx outages, and nothing else", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const wrapped = Object.assign(new Error("fetch failed"), { cause: refused });
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    const throttled = new S3ServiceException({ name: "SlowDown", $fault: "client", $metadata: {} });
    for (const e of [refused, wrapped, timeout, throttled, serverFault()])
      expect(isDependencyOutage(e)).toBe(true);
    const denied = new S3ServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
    });
    const missing = new S3ServiceException({
      name: "NoSuchKey",
      $fault: "client",
      $metadata: { httpStatusCode: 404 },
    });
    const taken = new S3ServiceException({
      name: "PreconditionFailed",
      $fault: "client",
      $metadata: { httpStatusCode: 412 },
    });
    for (const e of [denied, missing, taken, new Error("bug"), undefined])
      expect(isDependencyOutage(e)).toBe(false);
    expect([
      isNotFound(missing),
      isNotFound(denied),
      isPreconditionFailed(taken),
      isPreconditionFailed(missing),
    ]).toEqual([true, false, true, false]);
  });
});

describe("retries of idempotent writes", () => {
  it("retries outages with backoff until one succeeds", async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw serverFault();
        return "ok";
      },
      { attempts: 4, backoffMs: 1 },
    );
    expect([value, calls]).toEqual(["ok", 3]);
  });

  it("gives up after the last attempt and does not retry a client error", async () => {
    let calls = 0;
    const fail = (e: unknown) => async () => {
      calls++;
      throw e;
    };
    await expect(withRetry(fail(serverFault()), { attempts: 3, backoffMs: 1 })).rejects.toThrow();
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(fail(new Error("AccessDenied")), { attempts: 3, backoffMs: 1 })).rejects.toThrow(
      "AccessDenied",
    );
    expect(calls).toBe(1);
  });
});
