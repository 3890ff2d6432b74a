import { z } from "zod";
import { AlignSamError } from "../errors.ts";
import type { BinaryMask } from "./types.ts";

/**
 * COCO run-length encoding, bit-for-bit as pycocotools writes it (`maskApi.c`): pixels in
 * column-major (Fortran) order, runs alternating starting with a run of zeros (0 when the first
 * pixel is set), the counts compressed to a string.
 */
export interface CompressedRle {
  /** [height, width], as COCO writes it. */
  size: [number, number];
  counts: string;
}

/** COCO's uncompressed form (iscrowd annotations in the JSON files): the run lengths themselves. */
export interface UncompressedRle {
  size: [number, number];
  counts: number[];
}

export type Rle = CompressedRle | UncompressedRle;

const sizeSchema = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

/** Validates RLE objects arriving from JSON (API bodies, annotation files). */
export const rleSchema = z.union([
  z.object({ size: sizeSchema, counts: z.string() }),
  z.object({ size: sizeSchema, counts: z.array(z.number().int().nonnegative()) }),
]);

/** Run lengths of a mask in column-major order, the first run counting zeros. */
function runLengths(mask: BinaryMask): number[] {
  const { width: w, height: h, data } = mask;
  if (data.length !== w * h) {
    throw new AlignSamError("MASK_SHAPE", `mask has ${data.length} values, expected ${w}x${h} = ${w * h}`);
  }
  const counts: number[] = [];
  let previous = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = data[y * w + x] ? 1 : 0;
      if (v !== previous) {
        counts.push(run);
        run = 0;
        previous = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/**
 * pycocotools' `rleToString`: LEB128-like, 5 data bits per char plus a continuation bit, chars
 * offset by 48; from the fourth count on (index > 2) the difference to the count two before is
 * coded, so runs of equal length shrink to "0".
 */
function countsToString(counts: readonly number[]): string {
  let s = "";
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32; // x & 0x1f, valid beyond 32 bits
      x = Math.floor(x / 32); // arithmetic x >> 5
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** pycocotools' `rleFrString`, with arithmetic instead of 32-bit shifts so large runs survive. */
function stringToCounts(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new AlignSamError("RLE_DECODE", "RLE string ends in the middle of a count");
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) {
        throw new AlignSamError(
          "RLE_DECODE",
          `RLE string has an invalid character at ${p}: ${JSON.stringify(s[p])}`,
        );
      }
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k);
      if (k > 10) throw new AlignSamError("RLE_DECODE", "RLE string has a count longer than 10 characters");
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    if (x < 0) throw new AlignSamError("RLE_DECODE", `RLE count ${counts.length} is negative (${x})`);
    counts.push(x);
  }
  return counts;
}

/**
 * Encodes a binary mask as a COCO compressed RLE, so results can be scored by COCO tooling and
 * shipped as compact JSON.
 * @example
 * encodeRle(mask); // { size: [3, 3], counts: "322OO" }
 */
export function encodeRle(mask: BinaryMask): CompressedRle {
  return { size: [mask.height, mask.width], counts: countsToString(runLengths(mask)) };
}

function parseRle(rle: Rle): { height: number; width: number; counts: number[] } {
  const parsed = rleSchema.safeParse(rle);
  if (!parsed.success) {
    throw new AlignSamError(
      "RLE_DECODE",
      `not a COCO RLE object ({size: [h, w], counts}): ${parsed.error.message}`,
    );
  }
  const [height, width] = parsed.data.size;
  const counts =
    typeof parsed.data.counts === "string" ? stringToCounts(parsed.data.counts) : parsed.data.counts;
  let total = 0;
  for (const c of counts) total += c;
  if (total !== height * width) {
    throw new AlignSamError(
      "RLE_DECODE",
      `RLE runs cover ${total} pixels but size ${height}x${width} has ${height * width}`,
      { size: [height, width], covered: total },
    );
  }
  return { height, width, counts };
}

/**
 * Decodes a COCO RLE (compressed string or uncompressed counts) into a row-major binary mask.
 * Refuses, with RLE_DECODE, strings that are malformed or whose runs do not cover the size.
 * @example
 * decodeRle({ size: [3, 3], counts: [3, 2, 2, 1, 1] }).data; // 0,1,0, 0,1,1, 0,0,0
 */
export function decodeRle(rle: Rle): BinaryMask {
  const { height, width, counts } = parseRle(rle);
  const data = new Uint8Array(width * height);
  let i = 0;
  for (let r = 0; r < counts.length; r++) {
    const end = i + counts[r];
    if (r % 2 === 1) {
      for (let j = i; j < end; j++) {
        // column-major index j -> (y, x)
        const x = Math.floor(j / height);
        const y = j - x * height;
        data[y * width + x] = 1;
      }
    }
    i = end;
  }
  return { width, height, data };
}

/**
 * Foreground pixel count of an RLE without decoding it, as `pycocotools.mask.area`.
 * @example
 * rleArea({ size: [3, 3], counts: "322OO" }); // 3
 */
export function rleArea(rle: Rle): number {
  const { counts } = parseRle(rle);
  let area = 0;
  for (let r = 1; r < counts.length; r += 2) area += counts[r];
  return area;
}
