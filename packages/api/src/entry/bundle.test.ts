import { join } from "node:path";
import { rolldown } from "rolldown";
import { describe, expect, it } from "vitest";

/** Packages that must never reach the API bundle: model runtimes and native image codecs. */
const HEAVY = [/^onnxruntime/, /^@tensorflow\//, /^sharp$/, /^onnx-proto$/, /^protobufjs/, /^@huggingface\//];

describe("the Lambda bundle", () => {
  it("pulls in @alignsam/core only through its light face: no ONNX Runtime, TensorFlow.js or sharp", async () => {
    const bundle = await rolldown({
      input: join(import.meta.dirname, "lambda.ts"),
      platform: "node",
      // Follow our own sources (the workspace packages included); stop at third-party packages.
      external: (id) => !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("@alignsam/"),
      logLevel: "silent",
    });
    const { output } = await bundle.generate({ format: "esm" });
    await bundle.close();
    const modules = output.flatMap((o) => ("moduleIds" in o ? o.moduleIds : []));
    const externals = output.flatMap((o) => ("imports" in o ? o.imports : []));
    const coreModules = modules.filter((m) => m.includes("/packages/core/src/"));
    expect(coreModules.length).toBeGreaterThan(0);
    // Pure data, nothing else of models/ or pipeline/: the CenterNet class vocabulary (it imports only
    // errors.ts) and the pipeline's settings (no imports), whose STEPS_RANGE bounds a request's steps.
    const LIGHT_DATA = /\/(models\/centernet\/vocabulary|pipeline\/defaults)\.ts$/;
    for (const m of coreModules.filter((m) => !LIGHT_DATA.test(m))) {
      expect(m).not.toMatch(/\/(models|image|mask|agent|srm|tf|pipeline)\//);
    }
    for (const ext of externals) for (const heavy of HEAVY) expect(ext).not.toMatch(heavy);
    expect(externals).toContain("hono/aws-lambda");
  });
});
