import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { startProgress } from "./progress.ts";

function capture(): { stream: Writable & { isTTY?: boolean }; lines: () => string[] } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, lines: () => text.split("\n").filter((l) => l !== "") };
}

describe("startProgress off a terminal", () => {
  it("prints plain lines at most once per interval and the final count once at stop", () => {
    const { stream, lines } = capture();
    const p = startProgress("train", 3, { stream, intervalMs: 60_000 });
    p.increment("reward 0.1");
    p.increment();
    p.update(3, "reward 0.5");
    p.stop();
    p.stop();
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(/^train: 3\/3 \(\d+\.\d s\) reward 0\.5$/);
  });

  it("does not repeat the last periodic line when stopping", () => {
    const { stream, lines } = capture();
    const p = startProgress("evaluate", 2, { stream, intervalMs: 0 });
    p.increment();
    p.increment("mean IoU 50.00");
    p.stop();
    expect(lines().map((l) => l.replace(/\(.*?\)/, "()"))).toEqual([
      "evaluate: 1/2 ()",
      "evaluate: 2/2 () mean IoU 50.00",
    ]);
  });

  it("stays plain with --json even when the stream is a terminal", () => {
    const { stream, lines } = capture();
    stream.isTTY = true;
    const p = startProgress("segment", 1, { stream, plain: true });
    p.increment();
    p.stop();
    expect(lines()).toEqual([expect.stringMatching(/^segment: 1\/1 /)]);
  });
});
