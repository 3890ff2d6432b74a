import { describe, expect, it } from "vitest";
import { type PromotionEntry, promotedPointer, rolledBackPointer } from "./tenant-policies.ts";

const entry = (version: string, by: PromotionEntry["by"] = "promote"): PromotionEntry => ({
  version,
  promotedAt: "2026-12-06T10:00:00.000Z",
  by,
});

describe("tenant policy pointer transitions", () => {
  it("promotes onto the history, newest last, and leaves a repeated promotion unchanged", () => {
    const first = promotedPointer(undefined, "glass", entry("v1", "training"));
    expect(first).toMatchObject({ task: "glass", current: { version: "v1" }, history: [] });
    const second = promotedPointer(first, "glass", entry("v2"));
    expect(second.current.version).toBe("v2");
    expect(second.history.map((e) => e.version)).toEqual(["v1"]);
    // The same version again (a redelivered training job): the very same object, nothing to write.
    expect(promotedPointer(second, "glass", entry("v2", "training"))).toBe(second);
  });

  it("keeps the 100 newest replaced versions", () => {
    let pointer = promotedPointer(undefined, "glass", entry("v0"));
    for (let i = 1; i <= 105; i++) pointer = promotedPointer(pointer, "glass", entry(`v${i}`));
    expect(pointer.history).toHaveLength(100);
    expect(pointer.history[0].version).toBe("v5");
    expect(pointer.history.at(-1)?.version).toBe("v104");
  });

  it("rolls back to the previous version, stamped as a rollback, then to the bundled policy", () => {
    const two = promotedPointer(promotedPointer(undefined, "glass", entry("v1")), "glass", entry("v2"));
    const back = rolledBackPointer(two, "2026-12-06T11:00:00.000Z", "key-1");
    expect(back).toMatchObject({
      current: { version: "v1", by: "rollback", promotedAt: "2026-12-06T11:00:00.000Z", keyId: "key-1" },
      history: [],
    });
    expect(rolledBackPointer(back!, "2026-12-06T12:00:00.000Z")).toBeNull();
  });
});
