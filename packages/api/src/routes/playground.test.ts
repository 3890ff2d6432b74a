import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiApp } from "../http/context.ts";
import { useTestApp } from "../testing/app.ts";
import { PLAYGROUND_CSP } from "./playground.ts";

describe("playground page", () => {
  const t = useTestApp();
  let built: ApiApp;
  let unbuilt: ApiApp;

  beforeAll(() => {
    const dist = mkdtempSync(join(tmpdir(), "playground-dist-"));
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), '<!doctype html><script src="/assets/main-abc.js"></script>');
    writeFileSync(join(dist, "assets", "main-abc.js"), "console.log(1)");
    writeFileSync(join(dist, "assets", "style-abc.css"), "body{}");
    writeFileSync(join(dist, "assets", "notes.txt"), "not served");
    built = t.variant({}, { playgroundDist: dist });
    unbuilt = t.variant({}, { playgroundDist: join(dist, "missing") });
  });

  it("serves index.html at / with a same-origin Content-Security-Policy", async () => {
    const res = await built.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(PLAYGROUND_CSP);
    expect(PLAYGROUND_CSP).toContain("default-src 'self'");
    expect(PLAYGROUND_CSP).toContain("img-src 'self' blob: data:");
    expect(await res.text()).toContain("/assets/main-abc.js");
  });

  it("serves assets with their content types and refuses other names", async () => {
    const js = await built.request("/assets/main-abc.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(await js.text()).toBe("console.log(1)");
    expect((await built.request("/assets/style-abc.css")).headers.get("content-type")).toBe(
      "text/css; charset=utf-8",
    );
    for (const path of ["/assets/notes.txt", "/assets/gone.js", "/assets/..%2Findex.html", "/assets/.env"]) {
      const res = await built.request(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
  });

  it("answers 503 PLAYGROUND_NOT_BUILT, saying how to build, when dist is missing", async () => {
    for (const path of ["/", "/assets/main-abc.js"]) {
      const res = await unbuilt.request(path);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("PLAYGROUND_NOT_BUILT");
      expect(body.error.message).toContain("npm run build");
    }
  });

  it("leaves the API's own routes alone", async () => {
    expect((await built.request("/healthz")).status).toBe(200);
    const doc = (await (await built.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/tasks", "/v1/evaluations", "/v1/jobs/{id}/results/{name}"]),
    );
    expect(Object.keys(doc.paths)).not.toContain("/");
  });
});
