import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "../testing/app.ts";
import { fakeDns } from "../testing/dns.ts";
import { makeImage } from "../testing/images.ts";

/**
 * What the worker would only find out after a 202 is refused at the door: each case answers the
 * error envelope and leaves the bucket and the queue as they were.
 */
describe("checks made before a job is accepted", () => {
  let png: Uint8Array<ArrayBuffer>;

  const dns = fakeDns({
    "hooks.example": ["93.184.216.34", "2606:2800:220:1::"],
    "rebind.example": ["93.184.216.34", "10.0.0.7"],
    "metadata.example": ["169.254.169.254"],
    "loop6.example": ["::1"],
  });

  const t = useTestApp({}, { resolveHost: dns });
  beforeAll(async () => {
    png = await makeImage("png");
  });

  const put = (key: string, body = "x") => t.stack.put(key, body);

  function segmentForm(fields: Record<string, string | string[]>, images = 1) {
    const f = new FormData();
    for (let i = 0; i < images; i++) f.append("image", new File([png], `x${i}.png`, { type: "image/png" }));
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) f.append(k, one);
    return t.app.request("/v1/segment", { method: "POST", body: f });
  }

  function postJson(path: string, body: unknown) {
    return t.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** The error of a refused request, after checking that it stored and enqueued nothing new. */
  async function refused(res: Response, status: number, code: string, keysBefore: string[] = []) {
    const body = (await res.json()) as {
      error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
    };
    expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    expect(await t.stack.allKeys()).toEqual(keysBefore);
    expect(await t.stack.drainMessages()).toEqual([]);
    return body.error;
  }

  it("refuses a policy version the task does not have, listing those it has", async () => {
    await put("tenants/public/policies/shadow/v1/card.json");
    await put("tenants/public/policies/shadow/v2/card.json");
    const before = await t.stack.allKeys();
    const err = await refused(
      await segmentForm({ task: "shadow", policyVersion: "v9" }),
      404,
      "POLICY_NOT_FOUND",
      before,
    );
    expect(err.message).toContain('task "shadow" has no policy version "v9"; expected one of: v1, v2');
    expect(err.details).toMatchObject({ field: "policyVersion", valid: ["v1", "v2"] });
    // Another task's version is not this task's.
    await refused(await segmentForm({ task: "glass", policyVersion: "v1" }), 404, "POLICY_NOT_FOUND", before);
    const accepted = await segmentForm({ task: "shadow", policyVersion: "v2" });
    expect(accepted.status).toBe(202);
    expect(await t.stack.drainMessages()).toMatchObject([{ policyVersion: "v2" }]);
  });

  it("refuses an unknown policy version for an evaluation too, before its manifest", async () => {
    for (const f of ["images/a.png", "masks/a.png"]) await put(`tenants/public/datasets/set/${f}`);
    const before = await t.stack.allKeys();
    const body = { task: "saliency", dataset: "tenants/public/datasets/set/", policyVersion: "nope" };
    const err = await refused(await postJson("/v1/evaluations", body), 404, "POLICY_NOT_FOUND", before);
    expect(err.message).toContain("no stored versions");
  });

  it("refuses a voc class outside the prior's vocabulary, listing the classes", async () => {
    const err = await refused(
      await segmentForm({ task: "voc", className: "unicorn" }),
      400,
      "TEXT_UNSUPPORTED",
    );
    expect(err.message).toContain('className "unicorn"');
    expect(err.message).toContain("expected one of: person, bicycle");
    expect(err.details).toMatchObject({ field: "className" });
    expect(err.details?.valid).toHaveLength(80);
    const evaluation = await postJson("/v1/evaluations", {
      task: "voc",
      dataset: "tenants/public/datasets/set/",
      className: "unicorn",
    });
    await refused(evaluation, 400, "TEXT_UNSUPPORTED");
    // VOC names, plurals and prompt forms the worker's prior resolves are accepted.
    for (const className of ["tvmonitor", "Dogs", "a photo of a pottedplant"]) {
      expect((await segmentForm({ task: "voc", className })).status).toBe(202);
    }
  });

  it.each(["1e1", "0x10", " 7", "", "7.0", "-1", "+3"])(
    "refuses steps=%j: decimal digits only",
    async (steps) => {
      const err = await refused(await segmentForm({ task: "shadow", steps }), 400, "INVALID_REQUEST");
      expect(err.message).toContain("steps");
    },
  );

  it("refuses seed=0x10 and an evaluations limit of 1e1, accepts plain decimals", async () => {
    await refused(await segmentForm({ task: "shadow", seed: "0x10" }), 400, "INVALID_REQUEST");
    await refused(await t.app.request("/v1/evaluations?limit=1e1"), 400, "INVALID_REQUEST");
    expect((await t.app.request("/v1/evaluations?limit=10")).status).toBe(200);
    expect((await segmentForm({ task: "shadow", steps: "10", seed: "16" })).status).toBe(202);
    expect(await t.stack.drainMessages()).toMatchObject([{ options: { steps: 10, seed: 16 } }]);
  });

  it("says 'exactly one image part' for two image parts, and 'file part' for a text one", async () => {
    const two = await refused(await segmentForm({ task: "shadow" }, 2), 400, "INVALID_REQUEST");
    expect(two.message).toContain("send exactly one image part (got 2)");
    const text = await refused(
      await segmentForm({ task: "shadow", image: "not a file" }, 0),
      400,
      "INVALID_REQUEST",
    );
    expect(text.message).toContain("image must be a file part");
  });

  it.each([
    ["https://rebind.example/cb", "resolves to 10.0.0.7"],
    ["https://metadata.example/cb", "resolves to 169.254.169.254"],
    ["https://loop6.example/cb", "resolves to ::1"],
    ["https://no-such-host.example/cb", 'host "no-such-host.example" does not resolve (ENOTFOUND)'],
  ])("refuses callbackUrl %s at submit: %s", async (callbackUrl, reason) => {
    const err = await refused(await segmentForm({ task: "shadow", callbackUrl }), 400, "CALLBACK_FORBIDDEN");
    expect(err.message).toContain(reason);
    expect(err.details).toMatchObject({ field: "callbackUrl" });
    const evaluation = await postJson("/v1/evaluations", {
      task: "saliency",
      dataset: "tenants/public/datasets/set/",
      callbackUrl,
    });
    await refused(evaluation, 400, "CALLBACK_FORBIDDEN");
  });

  it("refuses a callback port other than 443, accepts 443 written out", async () => {
    const err = await refused(
      await segmentForm({ task: "shadow", callbackUrl: "https://hooks.example:8443/cb" }),
      400,
      "INVALID_REQUEST",
    );
    expect(err.message).toContain("callbackUrl must use the default https port (443), not 8443");
    const ok = await segmentForm({ task: "shadow", callbackUrl: "https://hooks.example:443/cb" });
    expect(ok.status).toBe(202);
  });

  it("lets a callback through when DNS does not answer in time (the worker checks again)", async () => {
    const silent = t.variant({}, { resolveHost: () => new Promise(() => {}) });
    const f = new FormData();
    f.set("image", new File([png], "x.png", { type: "image/png" }));
    f.set("task", "shadow");
    f.set("callbackUrl", "https://slow-dns.example/cb");
    const res = await silent.request("/v1/segment", { method: "POST", body: f });
    expect(res.status).toBe(202);
  }, 10_000);
});
