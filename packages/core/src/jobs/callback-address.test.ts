import { describe, expect, it } from "vitest";
import { isAlignSamError } from "../errors.ts";
import {
  allowPrivateCallbacks,
  assertCallbackAllowed,
  callbackUrlProblem,
  isNonPublicAddress,
  type ResolveAll,
} from "./callback-address.ts";

const strict = { allowPrivate: false };

describe("callback address policy", () => {
  it.each([
    "0.0.0.0",
    "10.1.2.3",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.0.9",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "198.18.0.1",
    "224.0.0.251",
    "239.255.255.250",
    "255.255.255.255",
    "::",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:8.8.8.8",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "64:ff9b::a9fe:a9fe",
    "2002:c0a8:0101::1",
  ])("treats %s as non-public", (ip) => expect(isNonPublicAddress(ip)).toBe(true));

  it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "[2a00:1450::1]"])(
    "treats %s as public",
    (ip) => expect(isNonPublicAddress(ip)).toBe(false),
  );

  it("refuses http, credentials, internal names and non-public literals without DNS", () => {
    expect(callbackUrlProblem("https://hooks.example.com/x", strict)).toBeUndefined();
    expect(callbackUrlProblem("http://hooks.example.com/x", strict)).toMatch(/https/);
    expect(callbackUrlProblem("https://u:p@hooks.example.com/x", strict)).toMatch(/credentials/);
    for (const host of ["localhost", "a.localhost", "metadata.google.internal", "[::1]", "169.254.169.254"]) {
      expect(callbackUrlProblem(`https://${host}/x`, strict)).toMatch(/non-public/);
    }
    expect(callbackUrlProblem("ftp://example.com/", strict)).toMatch(/https/);
  });

  it("allows loopback over http only when private callbacks are allowed", () => {
    expect(callbackUrlProblem("http://127.0.0.1:9/cb", { allowPrivate: true })).toBeUndefined();
    expect(callbackUrlProblem("file:///etc/passwd", { allowPrivate: true })).toMatch(/http/);
    expect(allowPrivateCallbacks({ ALIGNSAM_ALLOW_PRIVATE_CALLBACKS: "1" })).toBe(true);
    expect(allowPrivateCallbacks({})).toBe(false);
  });

  it("refuses a name that resolves to a private address, any of several", async () => {
    const resolve: ResolveAll = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.7", family: 4 },
    ];
    const err = await assertCallbackAllowed("https://rebind.example.com/x", {
      allowPrivate: false,
      resolve,
    }).catch((e: unknown) => e);
    expect(isAlignSamError(err, "CALLBACK_FORBIDDEN")).toBe(true);
    expect((err as Error).message).toContain("10.0.0.7");
  });

  it("accepts a name that resolves to public addresses, or does not resolve in time", async () => {
    const publicOnly: ResolveAll = async () => [{ address: "2606:4700:4700::1111", family: 6 }];
    await expect(
      assertCallbackAllowed("https://ok.example.com/x", { allowPrivate: false, resolve: publicOnly }),
    ).resolves.toBeUndefined();
    const never: ResolveAll = () => new Promise(() => {});
    const started = Date.now();
    await expect(
      assertCallbackAllowed("https://slow.example.com/x", {
        allowPrivate: false,
        resolve: never,
        timeoutMs: 50,
      }),
    ).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
