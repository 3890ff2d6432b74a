import { describe, expect, it } from "vitest";
import { lumaBt601 } from "./grey.ts";

describe("lumaBt601", () => {
  it("weights red, green and blue 0.299 / 0.587 / 0.114", () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 20, 30]);
    const grey = lumaBt601(rgb, 5);
    expect([...grey].map((v) => Number(v.toFixed(3)))).toEqual([76.245, 149.685, 29.07, 255, 18.15]);
  });

  it("gives the same grey from bytes and from the same values as floats", () => {
    const bytes = Uint8Array.from({ length: 3 * 50 }, (_, i) => (i * 37) % 256);
    expect(lumaBt601(Float32Array.from(bytes), 50)).toEqual(lumaBt601(bytes, 50));
  });
});
