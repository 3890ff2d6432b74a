/**
 * The classic segmenter with its encoder on a worker thread. An encode is hundreds of milliseconds
 * of synchronous work: on the main thread it blocks the event loop (a queue worker's heartbeat,
 * other jobs' I/O) for all of it. On its own thread it blocks nothing, and a process running two
 * jobs overlaps one image's encode with another's decodes. Decodes (milliseconds) stay in process.
 * Embeddings come back by transfer, not copy, and are the same as the in-process encoder's.
 */
import { Worker } from "node:worker_threads";
import { AlignSamError, type AlignSamErrorCode } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import type { Embedding, PromptableSegmenter } from "../ports.ts";
import type { EncodeRequest } from "./encode-thread.ts";
import { type ClassicOptions, resolveClassicOptions } from "./options.ts";
import { createClassicSegmenter } from "./segmenter.ts";

interface EncodeReply {
  readonly id: number;
  readonly embedding?: Embedding;
  readonly error?: { code?: AlignSamErrorCode; message: string; details?: Record<string, unknown> };
}

interface Pending {
  readonly image: RgbImage;
  resolve(e: Embedding): void;
  reject(e: unknown): void;
}

export interface ThreadedClassicSegmenter extends PromptableSegmenter {
  /** Where encodes run now: "thread", or "in-process" after the thread failed (it is not retried). */
  readonly encodeRunsOn: "thread" | "in-process";
  dispose(): Promise<void>;
}

/**
 * The classic segmenter (same options, results and model id) whose encode runs on a worker thread,
 * started on the first encode. If the thread cannot start or dies, pending and later encodes run
 * in process instead, so the segmenter keeps working.
 *
 * @example
 * const sam = createThreadedClassicSegmenter();
 * const embedding = await sam.encode(image); // the event loop stays free meanwhile
 * await sam.dispose();
 */
export function createThreadedClassicSegmenter(options: ClassicOptions = {}): ThreadedClassicSegmenter {
  const inProcess = createClassicSegmenter(options);
  const resolved = resolveClassicOptions(options);
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let failed = false;
  let nextId = 0;

  const fallBack = () => {
    failed = true;
    worker = undefined;
    const left = [...pending.values()];
    pending.clear();
    for (const p of left) inProcess.encode(p.image).then(p.resolve, p.reject);
  };

  const thread = (): Worker => {
    if (worker) return worker;
    const w = new Worker(new URL("./encode-thread.ts", import.meta.url));
    w.on("message", (reply: EncodeReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      // Idle, the thread must not keep the process alive; busy, it must (someone awaits it).
      if (pending.size === 0) w.unref();
      if (reply.embedding) p.resolve(reply.embedding);
      else {
        const e = reply.error ?? { message: "the encoder thread answered without an embedding" };
        p.reject(e.code ? new AlignSamError(e.code, e.message, e.details) : new Error(e.message));
      }
    });
    w.on("error", () => {
      if (worker === w) fallBack();
    });
    w.on("exit", () => {
      if (worker === w) fallBack();
    });
    worker = w;
    return w;
  };

  return {
    get info() {
      return inProcess.info;
    },
    get encodeRunsOn() {
      return failed ? "in-process" : "thread";
    },
    async encode(image: RgbImage): Promise<Embedding> {
      if (failed) return inProcess.encode(image);
      return new Promise<Embedding>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { image, resolve, reject });
        const w = thread();
        w.ref();
        const request: EncodeRequest = { id, image, options: resolved };
        w.postMessage(request);
      });
    },
    decode: (embedding, prompt) => inProcess.decode(embedding, prompt),
    decodeBatch: (embedding, prompts) => inProcess.decodeBatch!(embedding, prompts),
    async dispose() {
      const w = worker;
      worker = undefined;
      failed = true;
      if (w) await w.terminate();
      // Anything still pending finishes in process.
      const left = [...pending.values()];
      pending.clear();
      for (const p of left) inProcess.encode(p.image).then(p.resolve, p.reject);
    },
  };
}
