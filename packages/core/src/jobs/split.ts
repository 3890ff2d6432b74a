/**
 * The deterministic train / held-out split of a labelled set: an image's side depends only on its
 * id and the seed (not on listing order or on which other images exist), so a redelivered train job
 * and a later evaluation of the current policy see the same held-out images.
 */
import { createHash } from "node:crypto";

export interface HeldOutSplit {
  readonly train: string[];
  readonly heldOut: string[];
  /** Fingerprint of the held-out ids (sorted) and the seed: equal ids means a comparable score. */
  readonly heldOutId: string;
}

function unitHash(id: string, seed: number): number {
  const digest = createHash("sha256").update(`${seed}\u0000${id}`).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

/**
 * Split ids so about `heldOutFraction` of them are held out, with at least one on each side when
 * there are two or more ids.
 */
export function splitHeldOut(ids: readonly string[], heldOutFraction: number, seed = 0): HeldOutSplit {
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    throw new RangeError("heldOutFraction must be in (0, 1)");
  const unique = [...new Set(ids)].sort();
  const ranked = unique
    .map((id) => ({ id, h: unitHash(id, seed) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1));
  let heldOut = ranked.filter((r) => r.h < heldOutFraction).map((r) => r.id);
  let train = ranked.filter((r) => r.h >= heldOutFraction).map((r) => r.id);
  if (unique.length >= 2 && heldOut.length === 0) {
    heldOut = [ranked[0].id];
    train = train.filter((id) => id !== ranked[0].id);
  } else if (unique.length >= 2 && train.length === 0) {
    const last = ranked[ranked.length - 1].id;
    train = [last];
    heldOut = heldOut.filter((id) => id !== last);
  }
  heldOut.sort();
  train.sort();
  const heldOutId = createHash("sha256")
    .update(`${seed}\u0000${heldOut.join("\u0000")}`)
    .digest("hex")
    .slice(0, 16);
  return { train, heldOut, heldOutId };
}
