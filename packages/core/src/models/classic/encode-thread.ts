/**
 * Worker-thread entry of the threaded classic encoder (./threaded.ts): encodes the images it is
 * sent and posts the embeddings back, transferring (not copying) their typed arrays.
 */
import { parentPort } from "node:worker_threads";
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import { encodeClassic } from "./encode.ts";
import type { ResolvedClassicOptions } from "./options.ts";

export interface EncodeRequest {
  readonly id: number;
  readonly image: RgbImage;
  readonly options: ResolvedClassicOptions;
}

/** Every ArrayBuffer reachable from `value` (a few levels deep), each once: the transfer list. */
export function buffersOf(value: unknown, depth = 5, out = new Set<ArrayBuffer>()): Set<ArrayBuffer> {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  } else if (depth > 0 && typeof value === "object" && value !== null) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) buffersOf(v, depth - 1, out);
  }
  return out;
}

parentPort?.on("message", (request: EncodeRequest) => {
  try {
    const embedding = encodeClassic(request.image, request.options);
    parentPort?.postMessage({ id: request.id, embedding }, [...buffersOf(embedding)]);
  } catch (e) {
    const error =
      e instanceof AlignSamError
        ? { code: e.code, message: e.message, details: e.details }
        : { message: e instanceof Error ? e.message : String(e) };
    parentPort?.postMessage({ id: request.id, error });
  }
});
