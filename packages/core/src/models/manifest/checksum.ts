/**
 * SHA-256 of model files, streamed (SAM encoders are gigabytes), with a per-process memo keyed by
 * path, size and mtime so a worker that reopens the same file does not hash it again.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { AlignSamError } from "../../errors.ts";

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Streams a file through SHA-256. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const verified = new Map<string, string>();

/**
 * Refuses a file whose SHA-256 differs from the manifest's (MODEL_CHECKSUM): a truncated download or
 * a swapped file must never reach ONNX Runtime, where it would fail obscurely or, worse, run.
 */
export async function verifyFileChecksum(path: string, expected: string, label = path): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new AlignSamError(
      "MODEL_MANIFEST",
      `model file ${label} is listed in the manifest but missing (${path})`,
    );
  }
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  const want = expected.toLowerCase();
  if (verified.get(key) === want) return;
  const actual = await sha256File(path);
  if (actual !== want) {
    throw new AlignSamError(
      "MODEL_CHECKSUM",
      `model file ${label} has sha256 ${actual}, the manifest says ${want}; re-download it or fix the manifest`,
      { file: label, expected: want, actual },
    );
  }
  verified.set(key, want);
}
