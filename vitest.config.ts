import { defineConfig } from "vitest/config";

// One test run for the whole workspace: unit tests sit beside the code, end-to-end tests in tests/.
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2-core machines: keep to two workers so CPU-heavy tests do not starve each other.
    maxWorkers: 2,
  },
});
