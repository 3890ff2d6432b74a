import { defaultTaskRegistry, isAlignSamError, tenantPolicyCurrentKey } from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listLabelled } from "./datasets.ts";
import {
  loadPolicyVersion,
  promoteVersion,
  readCurrentPointer,
  readTenantPointer,
  resolvePolicy,
  resolveTaskDefinition,
  savePolicyVersion,
  writeCurrentPointer,
} from "./policy-store.ts";
import { startTestEmulator, type TestEmulator } from "./testing/emulator.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("policy store and labelled sets in S3", () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });

  it("resolves the current version through the pointer, a named version directly, null when untrained", async () => {
    expect(await resolvePolicy(emu.storage, "blur")).toBeNull();
    const files = new Map([
      ["card.json", bytes("{}")],
      ["weights.bin", bytes("w")],
    ]);
    await savePolicyVersion(emu.storage, { task: "blur", version: "v1", files });
    await writeCurrentPointer(emu.storage, {
      v: 1,
      task: "blur",
      version: "v1",
      promotedAt: new Date().toISOString(),
    });
    expect((await readCurrentPointer(emu.storage, "blur"))?.version).toBe("v1");
    const current = await resolvePolicy(emu.storage, "blur");
    expect([...(current?.files.keys() ?? [])]).toEqual(["card.json", "weights.bin"]);
    expect((await loadPolicyVersion(emu.storage, "blur", "v1"))?.version).toBe("v1");
    let caught: unknown;
    try {
      await resolvePolicy(emu.storage, "blur", "v9");
    } catch (e) {
      caught = e;
    }
    expect(isAlignSamError(caught, "POLICY_NOT_FOUND")).toBe(true);
  });

  it("keeps a tenant's promotion to itself and its history for a rollback", async () => {
    const files = new Map([["card.json", bytes("{}")]]);
    await savePolicyVersion(emu.storage, { tenant: "acme", task: "glass", version: "a1", files });
    await savePolicyVersion(emu.storage, { tenant: "acme", task: "glass", version: "a2", files });
    const at = new Date().toISOString();
    await promoteVersion(emu.storage, "acme", "glass", { version: "a1", promotedAt: at, by: "training" });
    const pointer = await promoteVersion(emu.storage, "acme", "glass", {
      version: "a2",
      promotedAt: at,
      by: "promote",
    });
    expect(pointer.current.version).toBe("a2");
    expect(pointer.history.map((h) => h.version)).toEqual(["a1"]);
    // Promoting the current version again (a redelivered job) changes nothing.
    await promoteVersion(emu.storage, "acme", "glass", { version: "a2", promotedAt: at, by: "training" });
    expect((await readTenantPointer(emu.storage, "glass", "acme"))?.history).toHaveLength(1);
    expect((await resolvePolicy(emu.storage, "glass", undefined, "acme"))?.version).toBe("a2");
    // Another tenant (and the default one) still gets the bundled policy (null), and cannot name acme's version.
    expect(await resolvePolicy(emu.storage, "glass", undefined, "other")).toBeNull();
    expect(await resolvePolicy(emu.storage, "glass")).toBeNull();
    await expect(resolvePolicy(emu.storage, "glass", "a1", "other")).rejects.toMatchObject({
      code: "POLICY_NOT_FOUND",
    });
    expect(tenantPolicyCurrentKey("acme", "glass")).toBe("tenants/acme/policies/glass/current.json");
  });

  it("takes a customer's own task definition from its policy card, built-ins from the registry", () => {
    const card = {
      task: { name: "rust", description: "rust", branch: "explicit", texts: ["rust"], metrics: ["mIoU"] },
    };
    const policy = {
      task: "rust",
      version: "v1",
      files: new Map([["card.json", bytes(JSON.stringify(card))]]),
    };
    expect(resolveTaskDefinition(defaultTaskRegistry, "rust", policy).texts).toEqual(["rust"]);
    expect(resolveTaskDefinition(defaultTaskRegistry, "blur", null).branch).toBe("implicit");
    expect(() => resolveTaskDefinition(defaultTaskRegistry, "rust", null)).toThrow(/unknown task "rust"/);
  });

  it("pairs images with masks by file stem, skipping unpaired files and unsafe names", async () => {
    const root = "tenants/public/datasets/ds1/";
    for (const k of [
      "images/a.jpg",
      "images/b.png",
      "images/c.jpg",
      "masks/a.png",
      "masks/b.png",
      "masks/z.png",
      "images/x y.jpg",
      "masks/x y.png",
    ]) {
      await emu.storage.putBytes(`${root}${k}`, bytes("."), "application/octet-stream");
    }
    expect(await listLabelled(emu.storage, "public", "ds1")).toEqual([
      { id: "a", image: "a.jpg", mask: "a.png" },
      { id: "b", image: "b.png", mask: "b.png" },
    ]);
  });
});
