import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import { actionCount, availableCells, cellCenter, gridSide, PAPER_GRID, pixelToCell } from "./grid.ts";
import { clickReward } from "./reward.ts";

describe("action grid", () => {
  it("has the paper's 100 actions for S = 800, P = 80", () => {
    expect(gridSide(PAPER_GRID)).toBe(10);
    expect(actionCount(PAPER_GRID)).toBe(100);
  });

  it("puts cell centres at patch centres scaled back to the original image", () => {
    // 1600 x 400 image: x scales by 2, y by 0.5.
    expect(cellCenter(PAPER_GRID, 0, 1600, 400)).toEqual({ x: 80, y: 20 });
    expect(cellCenter(PAPER_GRID, 99, 1600, 400)).toEqual({ x: 1520, y: 380 });
    expect(cellCenter(PAPER_GRID, 12, 800, 800)).toEqual({ x: 200, y: 120 });
  });

  it("maps every cell centre back to its own cell, whatever the image size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 10, max: 3000 }),
        fc.integer({ min: 10, max: 3000 }),
        (cell, w, h) => {
          expect(pixelToCell(PAPER_GRID, cellCenter(PAPER_GRID, cell, w, h), w, h)).toBe(cell);
        },
      ),
    );
  });

  it("clamps pixels outside the image to the border cells", () => {
    expect(pixelToCell(PAPER_GRID, { x: -5, y: 9999 }, 100, 100)).toBe(90);
  });

  it("masks out clicked cells and refuses cells off the grid", () => {
    const free = availableCells(PAPER_GRID, [3, 97]);
    expect(free[3]).toBe(0);
    expect(free[97]).toBe(0);
    expect(free.reduce((a, b) => a + b, 0)).toBe(98);
    try {
      availableCells(PAPER_GRID, [100]);
      expect.unreachable();
    } catch (e) {
      expect(isAlignSamError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });

  it("refuses a patch size that does not divide the image size", () => {
    expect(() => gridSide({ imageSize: 800, patchSize: 70 })).toThrow(/multiple/);
  });
});

describe("reward", () => {
  const gt = { width: 4, height: 2, data: Uint8Array.from([0, 1, 1, 0, 0, 0, 1, 0]) };
  it("gives +1 on ground-truth foreground and -1 elsewhere", () => {
    expect(clickReward(gt, { x: 1.7, y: 0.2 })).toBe(1);
    expect(clickReward(gt, { x: 2, y: 1 })).toBe(1);
    expect(clickReward(gt, { x: 0, y: 0 })).toBe(-1);
    expect(clickReward(gt, { x: 3.9, y: 1.9 })).toBe(-1);
  });
});
