/**
 * The fauxqs S3 + SQS emulator, bound to loopback, optionally persisted in SQLite.
 *
 * fauxqs 2.x persists state when given a `dataDir`, but only through `startFauxqs()`, which listens
 * on every interface (0.0.0.0). The local stack must never expose its bucket to the network, so this
 * does what `startFauxqs()` does (load the stores from the data folder, then wire write-through
 * persistence into them) around `buildApp()`, and listens on 127.0.0.1. The store and persistence
 * classes are not in the package's export map, so they are loaded from its dist folder by path; the
 * interfaces below name the few members used (fauxqs 2.4's `dist/app.js` startFauxqs is the model).
 *
 * One behaviour is brought closer to what a worker needs: fauxqs keeps waiting on a long poll whose
 * client hung up (a worker aborts its poll when it stops) and would then take a message for that dead
 * connection, hiding it for a whole visibility timeout. Here such a poll takes nothing.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, mkdirSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildApp } from "fauxqs";

interface Persistence {
  load(sqsStore: unknown, snsStore: unknown, s3Store: unknown): void;
  close(): void;
}
interface PersistentStore {
  persistence?: unknown;
}
interface SqsStoreLike extends PersistentStore {
  allQueues(): Iterable<PersistentStore>;
}
type StoreClass<T> = new () => T;

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  region: string;
  /**
   * Folder of the SQLite database (created if missing); the same folder on the next start brings
   * back buckets, objects, queues and their messages. Absent: everything stays in memory.
   */
  dataDir?: string;
}

export interface Emulator {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Where state is persisted, or undefined when in memory. */
  readonly dataDir: string | undefined;
  close(): Promise<void>;
}

/** The installed fauxqs's dist folder, found the way Node would (walking up node_modules). */
function fauxqsDist(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules", "fauxqs", "dist");
    if (existsSync(join(candidate, "persistence.js"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("fauxqs is not installed (node_modules/fauxqs/dist not found)");
    dir = parent;
  }
}

async function loadInternal<T>(dist: string, file: string, name: string): Promise<T> {
  const mod = (await import(pathToFileURL(join(dist, file)).href)) as Record<string, unknown>;
  const value = mod[name];
  if (typeof value !== "function") {
    throw new Error(`fauxqs ${file} has no ${name}; the local stack expects fauxqs 2.4.x`);
  }
  return value as T;
}

interface QueueClass {
  prototype: { dequeue(...args: unknown[]): unknown[] };
}
/** The request being handled, so a dequeue can see whether its client is still there. */
const currentRequest = new AsyncLocalStorage<IncomingMessage>();
let dequeueGuarded = false;

/** Make `SqsQueue.dequeue` return nothing when the ReceiveMessage calling it lost its client. */
async function guardAbandonedPolls(): Promise<void> {
  if (dequeueGuarded) return;
  const SqsQueue = await loadInternal<QueueClass>(fauxqsDist(), "sqs/sqsStore.js", "SqsQueue");
  const dequeue = SqsQueue.prototype.dequeue;
  SqsQueue.prototype.dequeue = function (this: unknown, ...args: unknown[]) {
    if (currentRequest.getStore()?.socket?.destroyed) return [];
    return dequeue.apply(this, args);
  };
  dequeueGuarded = true;
}

/** Start the emulator on 127.0.0.1, restoring and persisting state under `dataDir` when given. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  let stores: { sqsStore: SqsStoreLike; snsStore: PersistentStore; s3Store: PersistentStore } | undefined;
  let persistence: Persistence | undefined;
  if (dataDir) {
    const dist = fauxqsDist();
    const [SqsStore, SnsStore, S3Store, PersistenceManager] = await Promise.all([
      loadInternal<StoreClass<SqsStoreLike>>(dist, "sqs/sqsStore.js", "SqsStore"),
      loadInternal<StoreClass<PersistentStore>>(dist, "sns/snsStore.js", "SnsStore"),
      loadInternal<StoreClass<PersistentStore>>(dist, "s3/s3Store.js", "S3Store"),
      loadInternal<new (dir: string) => Persistence>(dist, "persistence.js", "PersistenceManager"),
    ]);
    mkdirSync(dataDir, { recursive: true });
    stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
    const manager = new PersistenceManager(dataDir);
    persistence = manager;
    // Load first, then wire persistence in: loading with persistence attached would rewrite rows.
    manager.load(stores.sqsStore, stores.snsStore, stores.s3Store);
    stores.sqsStore.persistence = manager;
    stores.snsStore.persistence = manager;
    stores.s3Store.persistence = manager;
    for (const queue of stores.sqsStore.allQueues()) queue.persistence = manager;
  }
  await guardAbandonedPolls();
  const app = buildApp({
    logger: false,
    defaultRegion: options.region,
    // The classes are fauxqs's own (loaded from its dist), so the shapes match what buildApp expects.
    ...(stores ? { stores: stores as unknown as NonNullable<Parameters<typeof buildApp>[0]>["stores"] } : {}),
  });
  app.addHook("onRequest", (request, _reply, done) => currentRequest.run(request.raw, done));
  if (persistence) {
    const manager = persistence;
    app.addHook("preClose", async () => manager.close());
  }
  try {
    await app.listen({ port: options.port, host: "127.0.0.1" });
  } catch (e) {
    persistence?.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    dataDir,
    close: async () => {
      await app.close();
    },
  };
}
