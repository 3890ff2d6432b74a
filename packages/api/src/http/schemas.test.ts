import { afterEach, describe, expect, it } from "vitest";
import { CallbackUrlSchema } from "./schemas.ts";

describe("callback URLs", () => {
  afterEach(() => {
    delete process.env.ALIGNSAM_ALLOW_PRIVATE_CALLBACKS;
  });

  it.each([
    "https://localhost/x",
    "https://api.localhost/x",
    "https://127.0.0.1/x",
    "https://10.1.2.3/x",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.1.1/x",
    "https://[::1]/x",
    "https://[fd00::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://metadata.google.internal/x",
    "http://hooks.example.com/x",
    "https://localhost./x",
    "https://8.8.8.8:8443/x",
    "https://hooks.example.com:22/x",
  ])("refuses %s", async (url) => {
    expect((await CallbackUrlSchema.safeParseAsync(url)).success).toBe(false);
  });

  it("accepts a public https URL", async () => {
    expect((await CallbackUrlSchema.safeParseAsync("https://8.8.8.8/x")).success).toBe(true);
    expect((await CallbackUrlSchema.safeParseAsync("https://[2606:4700:4700::1111]/x")).success).toBe(true);
  });

  it("accepts a loopback http receiver only with ALIGNSAM_ALLOW_PRIVATE_CALLBACKS=1", async () => {
    expect((await CallbackUrlSchema.safeParseAsync("http://127.0.0.1:9000/cb")).success).toBe(false);
    process.env.ALIGNSAM_ALLOW_PRIVATE_CALLBACKS = "1";
    expect((await CallbackUrlSchema.safeParseAsync("http://127.0.0.1:9000/cb")).success).toBe(true);
  });
});
