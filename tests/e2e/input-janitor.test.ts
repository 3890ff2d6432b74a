/**
 * The local stack's janitor deletes uploaded inputs (`tenants/<t>/inputs/`) once older than the TTL,
 * for every tenant, and nothing else: results, statuses and datasets just as old stay.
 */
import { datasetPrefix, inputKey, jobStatusKey } from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eStack, startE2eStack, waitFor } from "./harness.ts";

const TTL_SECONDS = 2;

describe("input janitor on the local stack", () => {
  let e2e: E2eStack;
  beforeAll(async () => {
    e2e = await startE2eStack({
      api: false,
      workers: 0,
      inputTtlSeconds: TTL_SECONDS,
      janitorIntervalMs: 250,
    });
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  it("deletes every tenant's inputs older than the TTL and leaves everything else", async () => {
    const { c } = e2e;
    const bytes = new Uint8Array([1, 2, 3]);
    const old = [inputKey("local", "never-used"), inputKey("acme", "used-long-ago")];
    const kept = [
      jobStatusKey("acme", "job-1"),
      `${datasetPrefix("acme", "discs")}images/d0.png`,
      "policies/saliency/current.json",
    ];
    for (const key of [...old, ...kept]) await c.put(key, bytes);
    await new Promise((r) => setTimeout(r, (TTL_SECONDS + 0.5) * 1000));
    const fresh = inputKey("acme", "just-uploaded");
    await c.put(fresh, bytes);

    await waitFor("the old inputs to be deleted", async () => {
      const left = await Promise.all(old.map((k) => c.get(k)));
      return left.every((b) => b === undefined) ? true : undefined;
    });
    expect(await c.get(fresh)).toEqual(bytes);
    for (const key of kept) expect(await c.get(key), key).toEqual(bytes);
    const logged = e2e.logs.map((l) => /\[janitor\] deleted (\d+) input\(s\) older than 2 s/.exec(l)?.[1]);
    expect(logged.reduce((sum, n) => sum + Number(n ?? 0), 0)).toBe(old.length);
  });
});
