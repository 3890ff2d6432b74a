import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRle, encodeRle, rleArea } from "./rle.ts";
import type { BinaryMask } from "./types.ts";

const mask = (width: number, height: number, rows: number[][]): BinaryMask => ({
  width,
  height,
  data: Uint8Array.from(rows.flat()),
});

describe("COCO RLE", () => {
  it("encodes a 3x3 mask to the string pycocotools writes", () => {
    // Row-major            Column-major (Fortran) walk: col0 0,0,0  col1 1,1,0  col2 0,1,0
    //   0 1 0              -> 0 0 0 1 1 0 0 1 0 -> runs (zeros first): 3, 2, 2, 1, 1
    //   0 1 1              Counts 0..2 are written as is: 3 -> "3", 2 -> "2", 2 -> "2".
    //   0 0 0              From index 3 on, the difference to the count two before is written:
    //                      1 - 2 = -1 and 1 - 2 = -1. -1 & 0x1f = 31, then -1 >> 5 = -1 with the
    //                      sign bit (0x10) set, so no continuation: one char 31 + 48 = "O" each.
    // pycocotools.mask.encode(np.asfortranarray(m)) gives {'size': [3, 3], 'counts': b'322OO'}.
    const m = mask(3, 3, [
      [0, 1, 0],
      [0, 1, 1],
      [0, 0, 0],
    ]);
    expect(encodeRle(m)).toEqual({ size: [3, 3], counts: "322OO" });
    expect(decodeRle({ size: [3, 3], counts: "322OO" })).toEqual(m);
    expect(rleArea({ size: [3, 3], counts: "322OO" })).toBe(3);
  });

  it("starts with a zero-length run when the first pixel is set, and codes long runs in several chars", () => {
    // All ones, 5x7: runs 0, 35. 35 = 0b1_00011: low 5 bits 3 with continuation (3 + 32 + 48 = "S"),
    // then 1 -> "1". pycocotools: b'0S1'; all zeros: b'S1'.
    expect(encodeRle({ width: 7, height: 5, data: new Uint8Array(35).fill(1) }).counts).toBe("0S1");
    expect(encodeRle({ width: 7, height: 5, data: new Uint8Array(35) }).counts).toBe("S1");
  });

  it("matches pycocotools on a 64x1000 mask with long runs and repeated deltas", () => {
    // np.zeros((64, 1000)); m[10:50, 100:900] = 1; m[5, 950] = m[0, 0] = m[63, 999] = 1
    // pycocotools 2.0 mask.encode -> 1615 chars: '01YX6W1_hI' + '0' * 1597 + 'kS3iNVO0', area 32003.
    const m = { width: 1000, height: 64, data: new Uint8Array(64000) };
    for (let y = 10; y < 50; y++) m.data.fill(1, y * 1000 + 100, y * 1000 + 900);
    m.data[5 * 1000 + 950] = 1;
    m.data[0] = 1;
    m.data[63 * 1000 + 999] = 1;
    const golden = `01YX6W1_hI${"0".repeat(1597)}kS3iNVO0`;
    expect(encodeRle(m)).toEqual({ size: [64, 1000], counts: golden });
    expect(rleArea({ size: [64, 1000], counts: golden })).toBe(32003);
    expect(decodeRle({ size: [64, 1000], counts: golden })).toEqual(m);
  });

  it("decodes uncompressed counts", () => {
    expect(decodeRle({ size: [3, 3], counts: [3, 2, 2, 1, 1] }).data).toEqual(
      Uint8Array.from([0, 1, 0, 0, 1, 1, 0, 0, 0]),
    );
    expect(rleArea({ size: [3, 3], counts: [3, 2, 2, 1, 1] })).toBe(3);
  });

  it("round-trips any mask and agrees with its pixel count", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 24 })
          .chain((w) =>
            fc
              .integer({ min: 1, max: 24 })
              .chain((h) =>
                fc.tuple(
                  fc.constant(w),
                  fc.constant(h),
                  fc.uint8Array({ minLength: w * h, maxLength: w * h, max: 1 }),
                ),
              ),
          ),
        ([w, h, data]) => {
          const m = { width: w, height: h, data };
          const rle = encodeRle(m);
          const back = decodeRle(rle);
          return (
            back.width === w &&
            back.height === h &&
            back.data.every((v, i) => v === data[i]) &&
            rleArea(rle) === data.reduce((a, b) => a + b, 0)
          );
        },
      ),
    );
  });

  it("refuses malformed RLE with RLE_DECODE", () => {
    const bad = [
      { size: [3, 3], counts: "322O" }, // covers 8 of 9 pixels
      { size: [3, 3], counts: "32~OO" }, // "~" is outside the 48..111 alphabet
      { size: [3, 3], counts: "322OP" }, // ends inside a count (continuation bit set)
      { size: [3, 3], counts: [3, 2, 2, 1] },
      { size: [3], counts: "322OO" },
    ];
    for (const rle of bad) {
      expect(() => decodeRle(rle as never), JSON.stringify(rle)).toThrow(
        expect.objectContaining({ code: "RLE_DECODE" }),
      );
    }
    expect(() => rleArea({ size: [2, 2], counts: "5" })).toThrow(
      expect.objectContaining({ code: "RLE_DECODE" }),
    );
  });
});
