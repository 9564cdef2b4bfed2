// `npm run bench -- --quick` keeps working: it runs through and prints every table. No figure is
// asserted — timings belong to BENCHMARKS.md, not to tests.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("npm run bench -- --quick", () => {
  it("runs B1 to B4 against a real Prosody and prints their tables", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/bench/main.ts"), "--quick"], { encoding: "utf8", timeout: 180_000 });
    expect(result.status).toBe(0);
    for (const heading of ["## B1 registration", "## B2 component overhead", "## B3 store at scale", "## B4 memory"]) expect(result.stdout).toContain(heading);
    expect(result.stdout).toMatch(/\| sequential \| native \| \d+/);
    expect(result.stdout).toMatch(/\| 16 at once \| web door \| \d+/);
  }, 180_000);
});
