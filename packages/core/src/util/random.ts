/**
 * A small seeded pseudo-random generator shared by everything that must be reproducible from a seed
 * (dataset splits, policy initialisation, exploration). mulberry32 (Tommy Ettinger's 32-bit mixer):
 * fast, 2^32 period, good enough statistics for shuffling and sampling; NOT for cryptography.
 */
import { AlignSamError } from "../errors.ts";

/** A stream of reproducible random numbers; the same seed always gives the same sequence. */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Standard normal sample (mean 0, variance 1), Box-Muller. */
  normal(): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** A new independent stream derived from this one, so sub-components can be seeded without sharing state. */
  fork(): Random;
}

/**
 * The raw mulberry32 step function: each call returns the next float in [0, 1).
 * @example const next = mulberry32(42); next(); // 0.6011037519201636
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Turns a string (a task name, a run id) into a 32-bit seed, so seeds can be named rather than numbered.
 * FNV-1a over the UTF-16 code units.
 */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A seeded {@link Random}. Seeds are taken modulo 2^32 (integers; fractions are truncated) so that
 * any JSON number a user passes works.
 * @example const rng = createRandom(7); rng.shuffle([1, 2, 3]);
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) {
    throw new AlignSamError("INVALID_ARGUMENT", `the seed must be a finite number, got ${seed}`);
  }
  const next = mulberry32(Math.trunc(seed) >>> 0);
  let spareNormal: number | undefined;
  const rng: Random = {
    next,
    int(maxExclusive: number): number {
      if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
        throw new AlignSamError(
          "INVALID_ARGUMENT",
          `int() needs a positive integer bound, got ${maxExclusive}`,
        );
      }
      return Math.floor(next() * maxExclusive);
    },
    normal(): number {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      // 1 - next() is in (0, 1], so the log is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    fork(): Random {
      return createRandom(Math.floor(next() * 4294967296));
    },
  };
  return rng;
}

/** Samples an index from unnormalised non-negative weights; -1 when all weights are zero. */
export function sampleIndex(weights: ArrayLike<number>, rng: Random): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  if (!(total > 0)) return -1;
  let u = rng.next() * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] <= 0) continue;
    last = i;
    u -= weights[i];
    if (u < 0) return i;
  }
  return last;
}
