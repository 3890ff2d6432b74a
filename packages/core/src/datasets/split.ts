/**
 * The paper's few-shot protocol: N training pairs (50 by default), the rest for testing, chosen by a
 * seeded shuffle so a run can be repeated exactly.
 *
 * Determinism: the pairs are first sorted by id (code-unit order), then shuffled with mulberry32
 * (util/random.ts) seeded with `seed`; train = the first N, test = the rest, each returned sorted by
 * id. So the same ids and seed give the same split on every machine, whatever order the files were
 * listed in; a different seed gives an independent split.
 */
import { AlignSamError } from "../errors.ts";
import { createRandom } from "../util/random.ts";

export interface SplitOptions {
  /** How many pairs go to training. @default 50 */
  train?: number;
  /** Shuffle seed. @default 0 */
  seed?: number;
}

export interface Split<T> {
  readonly train: T[];
  readonly test: T[];
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Splits pairs into train and test.
 * @throws AlignSamError INVALID_ARGUMENT when `train` is not an integer in 0..pairs.length or ids repeat.
 * @example const { train, test } = splitTrainTest(dataset.pairs, { train: 50, seed: 1 });
 */
export function splitTrainTest<T extends { id: string }>(
  pairs: readonly T[],
  options: SplitOptions = {},
): Split<T> {
  const { train = 50, seed = 0 } = options;
  if (!Number.isInteger(train) || train < 0 || train > pairs.length) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `cannot take ${train} training pairs from ${pairs.length}; choose an integer from 0 to ${pairs.length}`,
      { train, available: pairs.length },
    );
  }
  const ordered = [...pairs].sort(byId);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i].id === ordered[i - 1].id) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `pair id "${ordered[i].id}" appears twice; ids must be unique`,
      );
    }
  }
  createRandom(seed).shuffle(ordered);
  return { train: ordered.slice(0, train).sort(byId), test: ordered.slice(train).sort(byId) };
}
