// `xmpp-invites ejabberd-module build`, the built CLI as an operator runs it: the bridge module compiled
// for the ejabberd installed here, and a clear error when the compiler or ejabberd is missing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = resolve("dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-ejabberd-module-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, "ejabberd-module", ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("xmpp-invites ejabberd-module build", () => {
  it("compiles mod_xmpp_invites.beam for the installed ejabberd and prints the configuration it needs", () => {
    const out = join(dir, "ebin");
    const { code, stdout, stderr } = cli(["build", "--out", out, "--component", "invites.example.test"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(existsSync(join(out, "mod_xmpp_invites.beam"))).toBe(true);
    // A BEAM file: an IFF container of type BEAM.
    const beam = readFileSync(join(out, "mod_xmpp_invites.beam"));
    expect(beam.subarray(0, 4).toString("latin1")).toBe("FOR1");
    expect(beam.subarray(8, 12).toString("latin1")).toBe("BEAM");
    expect(stdout).toMatch(/^Built .*mod_xmpp_invites\.beam for ejabberd \d+\.\d+/);
    expect(stdout).toContain(`ERL_OPTIONS="-pa ${out}"`);
    expect(stdout).toContain("  modules:\n    mod_xmpp_invites:\n      component: invites.example.test\n");
  });

  it("without erlc on PATH: a clear error, exit 1, nothing written", () => {
    const out = join(dir, "no-erlc");
    const { code, stderr } = cli(["build", "--out", out], { PATH: join(dir, "empty-path") });
    expect(code).toBe(1);
    expect(stderr).toBe("xmpp-invites: erlc (the Erlang compiler) was not found on PATH: install ejabberd, whose Erlang brings it (Debian: erlang-base)\n");
    expect(existsSync(out)).toBe(false);
  });

  it("where ejabberd is not: a clear error naming the directory", () => {
    const { code, stderr } = cli(["build", "--out", join(dir, "no-ejabberd"), "--ejabberd", join(dir, "nothing-here")]);
    expect(code).toBe(1);
    expect(stderr).toBe(`xmpp-invites: ${join(dir, "nothing-here")} has no ejabberd include files (include/logger.hrl)\n`);
  });

  it("usage errors: no --out, no subcommand", () => {
    expect(cli(["build"])).toMatchObject({ code: 64, stderr: expect.stringContaining("--out DIR is needed") });
    expect(cli([])).toMatchObject({ code: 64, stderr: expect.stringContaining('ejabberd-module takes one subcommand: "build --out DIR"') });
    expect(cli(["--help"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: xmpp-invites ejabberd-module build --out DIR/) });
  });
});
