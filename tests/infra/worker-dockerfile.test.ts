import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const dockerfile = readFileSync(join(ROOT, "infra/worker/Dockerfile"), "utf8");
const rootPackage = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};

function arg(name: string): string | undefined {
  return new RegExp(`^ARG ${name}=(\\S+)`, "m").exec(dockerfile)?.[1];
}

describe("infra/worker/Dockerfile", () => {
  it("starts from a CUDA 12 cuDNN runtime image", () => {
    expect(arg("CUDA_IMAGE")).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/);
  });

  it("installs the Node version package.json pins", () => {
    const pinned = rootPackage.devDependencies.node.replace(/^[\^~]/, "");
    expect(arg("NODE_VERSION")).toBe(pinned);
  });

  it("installs onnxruntime-node's CUDA 12 binaries with npm ci", () => {
    expect(dockerfile).toMatch(/^RUN npm ci .*--onnxruntime-node-install=cuda12/m);
  });

  it("runs the worker's main module, which exists", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    const argv = JSON.parse(cmd ?? "[]") as string[];
    expect(argv[0]).toBe("node");
    expect(existsSync(join(ROOT, argv[1]))).toBe(true);
    expect(argv[1]).toBe("packages/gpu-worker/src/main.ts");
  });

  it("copies every file it names from the build context", () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    for (const source of sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
  });
});
