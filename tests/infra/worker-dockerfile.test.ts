import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const dockerfile = readFileSync(join(ROOT, "infra/worker/Dockerfile"), "utf8");
const rootPackage = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
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

  it("installs onnxruntime-node's CUDA 12 binaries after npm ci (allowScripts denies its postinstall)", () => {
    expect(dockerfile).toMatch(
      /^RUN npm ci .*\n.*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/m,
    );
    expect(existsSync(join(ROOT, "node_modules/onnxruntime-node/script/install.js"))).toBe(true);
  });

  it("keeps onnxruntime-node's CUDA download out of CPU installs and every other install script in", () => {
    expect(rootPackage.allowScripts).toEqual({
      "core-js": true,
      node: true,
      "onnxruntime-node": false,
      protobufjs: true,
    });
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
