import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Gives the run its own TMPDIR and fails it if files or processes are left behind.
    globalSetup: ["test/global-setup.ts"],
    // Integration tests start real servers; unit tests finish far below these limits.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
  },
});
