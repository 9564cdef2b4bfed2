// `npm run bench -- --quick` keeps working: it runs through against real Prosody and ejabberd
// servers and prints every table. No figure is asserted — timings belong to BENCHMARKS.md, not to tests.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("npm run bench -- --quick", () => {
  it("runs the interleaved B1 on Prosody and ejabberd, then B2 to B4, and prints their tables", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/bench/main.ts"), "--quick"], { encoding: "utf8", timeout: 240_000 });
    expect(result.status, result.stderr).toBe(0);
    for (const heading of ["## B1 Prosody", "## B1 ejabberd", "XEP-0133 adapter", "`ejabberd-api` adapter", "## B2 component overhead", "## B3 store at scale", "## B4 memory", "## Against the targets"]) {
      expect(result.stdout).toContain(heading);
    }
    for (const path of ["native \\(the server's own registration\\)", "app path \\(bridge\\)", "XMPP door", "web door"]) {
      expect(result.stdout).toMatch(new RegExp(`\\| ${path} \\| \\d+\\.\\d`));
    }
    expect(result.stdout).toMatch(/\| xmpp door after a web-door registration \(adapter call\) \| \d+ \| \d/);
    expect(result.stdout).toMatch(/\| XMPP door \| adapter round trip .*\| \d+\.\d\d \|/);
    expect(result.stdout).toMatch(/\| = the app path if the component did no work at all \| \d+\.\d\d/);
  }, 240_000);
});
