import { describe, expect, it } from "vitest";
import { CallbackUrlSchema, isInternalHost } from "./schemas.ts";

describe("callback URLs", () => {
  it.each([
    "localhost",
    "api.localhost",
    "127.0.0.1",
    "10.1.2.3",
    "169.254.169.254",
    "172.20.0.1",
    "192.168.1.1",
    "[::1]",
    "[fd00::1]",
    "[fe80::1]",
    "metadata.google.internal",
  ])("treats %s as internal", (host) => expect(isInternalHost(host)).toBe(true));

  it.each(["example.com", "8.8.8.8", "172.32.0.1", "[2001:db8::1]", "hooks.slack.com"])(
    "treats %s as external",
    (host) => expect(isInternalHost(host)).toBe(false),
  );

  it("accepts a public https URL and refuses http or an internal host", () => {
    expect(CallbackUrlSchema.safeParse("https://hooks.example.com/x").success).toBe(true);
    expect(CallbackUrlSchema.safeParse("http://hooks.example.com/x").success).toBe(false);
    expect(CallbackUrlSchema.safeParse("https://169.254.169.254/latest/meta-data").success).toBe(false);
  });
});
