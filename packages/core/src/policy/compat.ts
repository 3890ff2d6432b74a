/**
 * A policy only runs on the segmenter it was trained for: its state is built from that model's
 * embedding, so another backend, model id or embedding shape would feed it meaningless inputs.
 */
import { AlignSamError } from "../errors.ts";
import type { SegmenterInfo } from "../models/ports.ts";
import type { PolicyCard } from "./card.ts";

/** Throws POLICY_INCOMPATIBLE naming both the policy's and the segmenter's identity. */
export function assertCompatible(card: PolicyCard, info: SegmenterInfo): void {
  const want = card.segmenter;
  const same =
    want.backend === info.backend &&
    want.modelId === info.modelId &&
    want.embeddingShape.length === info.embeddingShape.length &&
    want.embeddingShape.every((v, i) => v === info.embeddingShape[i]);
  if (!same) {
    const fmt = (s: { backend: string; modelId: string; embeddingShape: readonly number[] }) =>
      `${s.backend}/${s.modelId} [${s.embeddingShape.join("x")}]`;
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `policy for task "${card.task.name}" was trained for ${fmt(want)} but the segmenter is ${fmt(info)}`,
      { policy: want, segmenter: info },
    );
  }
}
